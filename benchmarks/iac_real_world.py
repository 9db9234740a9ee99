"""The CloudFormation readers and writer over templates that public packages ship (read where the
package put them, never copied into this repository), and the time to refine a template with
many policies; prints the counts as Markdown for docs/RESULTS.md.

    pip download --no-deps --no-binary :all: cfn-lint==1.58.0 -d /tmp/sdist
    tar -xzf /tmp/sdist/cfn_lint-1.58.0.tar.gz -C /tmp/sdist
    python benchmarks/iac_real_world.py /tmp/sdist/cfn_lint-1.58.0/test/fixtures/templates
    python benchmarks/iac_real_world.py --many 50      # refine time for 50 policies

Every file under the folder that the dispatcher takes for a template is read; each policy found
is refined by an unused set drawn from its own literal actions (every other one, at least one),
proved, written back into the template's text in memory and read again (the writer's check).
A template the reader refuses counts as bad input (the folder holds deliberately bad ones).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

from verify_refine.errors import InputError
from verify_refine.iac import refining
from verify_refine.iac.cfn_resources import NoPolicies
from verify_refine.iac.reading import TEMPLATE_SUFFIXES, looks_like_template, read_sources
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.findings import from_bytes


def unused_for(policy, catalog):
    """An unused set from the policy's own literal actions: every other one (at least one)."""
    literal = sorted({a for s in policy.document["Statement"] if isinstance(s, dict)
                      for a in _actions(s) if "*" not in a and "?" not in a})
    chosen = literal[::2] or ["s3:GetObject"]
    return from_bytes(json.dumps(chosen).encode(), "<unused>", catalog)[0]


def _actions(statement: dict) -> list[str]:
    value = statement.get("Action", statement.get("NotAction", []))
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def survey(folder: Path, catalog) -> Counter:
    counts: Counter = Counter()
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or not path.name.endswith(TEMPLATE_SUFFIXES) or \
                not looks_like_template(str(path)):
            continue
        counts["templates"] += 1
        try:
            sources = read_sources(str(path))
        except NoPolicies:
            counts["templates without an IAM policy"] += 1
            continue
        except InputError:
            counts["templates refused as bad input"] += 1
            continue
        counts["templates with IAM policies"] += 1
        for source in sources:
            counts["policies refused (computed actions, ...)"] += len(source.refusals)
            for policy in source.policies:
                counts["policies found"] += 1
                counts.update(refine_one(source, policy, catalog))
    return counts


def refine_one(source, policy, catalog) -> Counter:
    """Refine, prove and write back one policy; what came of it."""
    results = refining.refine_each([(source, policy)], unused_for(policy, catalog), catalog,
                                   None, timeout_s=10.0, prove=True)
    result = results[0]
    if not result.done.proved:
        return Counter({f"not proved ({result.done.verdict})": 1})
    try:
        refining.rewritten(results)
    except (InputError, refining.NotHeld) as error:
        print(f"{policy.path} {policy.address}: {error}", file=sys.stderr)
        return Counter({"proved, not written back": 1})
    if result.detach:
        return Counter({"proved, nothing left to allow (reported, left as written)": 1})
    return Counter({"proved and written back" if result.edit else
                    "proved, nothing to change": 1})


def many_policies(count: int, folder: Path) -> Path:
    """A template with one role holding COUNT managed policies of three statements each."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:", "  AppRole:",
             "    Type: AWS::IAM::Role", "    Properties:", "      RoleName: app",
             "      ManagedPolicyArns:"] + [f"        - !Ref Policy{i}" for i in range(count)]
    for i in range(count):
        lines += [f"  Policy{i}:", "    Type: AWS::IAM::ManagedPolicy", "    Properties:",
                  "      PolicyDocument:", "        Version: '2012-10-17'",
                  "        Statement:",
                  "          - Effect: Allow", "            Action: ['s3:Get*', 's3:PutObject']",
                  "            Resource: !Sub 'arn:aws:s3:::b-${AWS::AccountId}/*'",
                  "          - Effect: Allow", "            Action:",
                  "              - sqs:SendMessage", "              - sqs:DeleteQueue",
                  "            Resource: '*'",
                  "          - Effect: Allow", "            Action: dynamodb:DeleteTable",
                  "            Resource: '*'"]
    path = folder / f"many-{count}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def time_many(count: int) -> None:
    """One `refine TEMPLATE --role app --in-place --certificate DIR` over COUNT policies."""
    import tempfile

    from verify_refine.cli import main as cli
    with tempfile.TemporaryDirectory() as tmp:
        path = many_policies(count, Path(tmp))
        unused = Path(tmp) / "unused.json"
        unused.write_text('["s3:PutObject", "sqs:DeleteQueue", "dynamodb:*"]')
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            code = cli(["refine", str(path), "--unused", str(unused), "--role", "app",
                        "--in-place", "--certificate", str(Path(tmp) / "certs")])
        seconds = time.perf_counter() - start
        certs = len(list((Path(tmp) / "certs").glob("*.cert.json")))
        print(f"{count} policies of one role, one refine --in-place --certificate: "
              f"{seconds:.1f} s, exit {code}, {certs} certificates")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--many", type=int, metavar="N",
                        help="time refine over a generated template with N policies")
    args = parser.parse_args(argv)
    catalog = catalog_mod.load(None)
    if args.folder:
        counts = survey(args.folder, catalog)
        print("| templates under the folder | count |\n|---|---|")
        for key, value in counts.items():
            print(f"| {key} | {value:,} |")
    if args.many:
        time_many(args.many)
    return 0


if __name__ == "__main__":
    sys.exit(main())
