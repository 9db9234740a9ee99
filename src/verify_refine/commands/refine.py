"""`verify-refine refine`: write a policy with the unused actions removed, proved, with an
optional certificate; a diff, a JSON result and a summary."""

from __future__ import annotations

import json
import sys

from .. import fitting, pipeline
from ..errors import UsageError
from ..files import (
    STDIN,
    check_writable,
    finishing,
    read_input,
    refuse_collisions,
    write_atomically,
)
from ..iac.reading import looks_like_template
from ..inputs import catalog as catalog_mod
from ..inputs import findings
from ..inputs import guards as guards_mod
from ..inputs.wrappers import load_policy
from ..report import document, exposure, size, usage
from ..report import summary as report
from . import fitting as fit_options
from . import options, refine_iac

NAME = "refine"


def add_parser(commands) -> None:
    ref = commands.add_parser(
        NAME, help="remove unused actions from a policy",
        description="Write POLICY with the unused actions removed: wildcards narrowed to the "
                    "shortest safe token prefixes, everything else kept as written; proved "
                    "(the obligations and the proof kernel) before anything is written.")
    ref.add_argument("policy", metavar="POLICY",
                     help="the policy: a document, or aws iam get-policy-version / "
                          "get-role-policy output; - reads standard input; or a "
                          "CloudFormation template (then see --policy, --role, --in-place)")
    options.unused(ref)
    options.catalog(ref)
    ref.add_argument("-o", "--output", metavar="OUT",
                     help="write the refined policy here (atomically) instead of standard "
                          "output; - is standard output")
    ref.add_argument("--in-place", action="store_true",
                     help="a template: write the refined action lists back into it")
    ref.add_argument("--policy", dest="target_policy", metavar="ADDRESS",
                     help="a template: the policy to refine (list-policies shows them); "
                          "default: every policy the findings' principal holds")
    ref.add_argument("--role", metavar="ID",
                     help="a template: the principal whose policies to refine (logical id or "
                          "name), when the findings' ARN names none of the template's")
    ref.add_argument("--diff", action="store_true",
                     help="print a -/+ diff of the policy instead of the refined policy")
    ref.add_argument("--format", choices=("text", "json"), default="text",
                     help="json: print a machine-readable result with per-entry provenance")
    ref.add_argument("--certificate", metavar="CERT",
                     help="write the proof certificate here (needs -o FILE: it names the "
                          "files); for a template, a folder: one certificate per policy")
    ref.add_argument("--no-prove", action="store_true",
                     help="skip the proofs; the result is then reported as unproved (no "
                          "certificate)")
    fit_options.add_options(ref, "a refined policy")
    options.exposure_since(ref, "the refined policy's wildcards admit")
    options.timeout(ref)


def check_options(args) -> None:
    """Options that make no sense together are refused before anything is read."""
    to_stdout = not args.output or args.output == STDIN
    shown = [name for name, on in (("--diff", args.diff), ("--format json",
                                                           args.format == "json")) if on]
    if len(shown) > 1:
        raise UsageError("refine: --diff and --format json both print to standard output; "
                         "give one")
    if shown and args.output == STDIN:
        raise UsageError(f"refine: -o - and {shown[0]} both print to standard output; "
                         "give -o FILE")
    if args.certificate is not None:
        if args.no_prove:
            raise UsageError("refine: --certificate needs a proof; drop --no-prove")
        if to_stdout:
            raise UsageError("refine: --certificate needs -o FILE: the certificate names the "
                             "refined file")
        if STDIN in (args.policy, args.unused):
            raise UsageError("refine: --certificate needs the policy and the findings as files "
                             "(the certificate names them), not standard input")
    fit_options.check_options("refine", args)
    if args.policy == STDIN and args.unused == STDIN:
        raise UsageError("refine: POLICY and --unused cannot both read standard input")


def check_outputs(args) -> None:
    """The outputs can be written and overwrite no input: checked before any work."""
    for option, path in (("-o/--output", args.output), ("--certificate", args.certificate)):
        if path == "":
            raise UsageError(f"refine: {option}: empty file name")
        if path is not None and path != STDIN:
            check_writable(path)
    refuse_collisions({"-o": args.output, "--certificate": args.certificate},
                      {"the policy": args.policy, "the findings (--unused)": args.unused,
                       "the catalog (--catalog)": args.catalog})


def run(args) -> int:
    if looks_like_template(args.policy):
        if args.fit or args.allow_oversize:  # a template keeps its own layout: no split there
            raise UsageError("refine: --fit and --allow-oversize are for a policy document, "
                             "not a template or Terraform code")
        return refine_iac.run(args)
    given = [name for name, on in (("--in-place", args.in_place), ("--policy",
                                   args.target_policy), ("--role", args.role)) if on]
    if given:
        raise UsageError(f"refine: {given[0]} is for a CloudFormation template or Terraform "
                         "code; POLICY is a policy document")
    check_options(args)
    policy = load_policy(read_input(args.policy, "policy"), _name(args.policy))
    cat = catalog_mod.load(args.catalog)
    unused, warnings = findings.load(args.unused, cat, args.unused_since)
    check_outputs(args)  # before any work: nothing is refined, proved or written on a misuse
    findings.require_open(unused, _name(args.unused), args.include_resolved)
    findings.require_something(unused, _name(args.unused), args.allow_nothing_unused)
    unused = guards_mod.apply(unused, options.guards(args), policy, cat)
    old_catalog = exposure.old_catalog(args.exposure_since) if args.exposure_since else None
    to_file = args.output and args.output != STDIN
    done = pipeline.refine_and_prove(policy, unused, cat, timeout_s=args.timeout,
                                     prove=not args.no_prove,
                                     refined_source=args.output if to_file else "<refined>",
                                     fit=args.fit)
    result, refined_size = done.refinement, size.iam_size(done.text)
    for warning in warnings + size.warnings(refined_size) + list(result.warnings):
        print(f"warning: {warning}", file=sys.stderr)
    exposed = exposure.exposure(done.refined, cat, old_catalog) if old_catalog else None
    extra = usage.lines(unused, policy, cat) + [size.line(refined_size)] + (
        exposure.lines(exposed) if exposed else [exposure.wildcard_line(done.refined)])
    if done.verdict is not None and not done.proved:
        print(report.proof_failure(done.problems), file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return done.verdict.exit_code
    fitted = fitting.outcome(done, args.allow_oversize) if done.fitting else fitting.Outcome()
    print("".join(f"warning: {w}\n" for w in fitted.warnings), end="", file=sys.stderr)
    if fitted.error:
        print(f"error: {fitted.error}", file=sys.stderr)
        return fitted.exit
    if fitted.split is not None:
        done, extra = _split_cover(args, done, fitted, extra, to_file)
        result, refined_size = done.refinement, size.iam_size(done.text)
    extra += fitted.lines
    if done.proved:
        queries = done.proving.kernel_queries
        extra.append(f"proof kernel: agrees ({queries} solver "
                     f"quer{'y' if queries == 1 else 'ies'})")
    with finishing():  # written: a Ctrl-C from now on, while the report prints, is too late
        _write(args, done, to_file)
        if fitted.split is not None:
            parts = fitting.write_parts(args.output, done.text, fitted)
            print(f"wrote {parts[0]} ... {parts[-1]} and their proof record", file=sys.stderr)
        _print(args, done, refined_size, exposed, warnings, to_file)
    sys.stderr.write(report.summary(result, done.proving.proof if done.proving else None,
                                    extra))
    _say_written(args, result, to_file)
    return 0


def _say_written(args, result, to_file: bool) -> None:
    """The files written, and what a detached policy keeps."""
    if to_file:
        kept = "the Deny statements only" if any(
            r.statement.effect == "Deny" for r in result.statements) else "an empty Statement list"
        note = f" with {kept}" if result.detach else ""
        print(f"wrote {args.output}{note}", file=sys.stderr)
    if args.certificate:
        print(f"wrote {args.certificate}", file=sys.stderr)


def _split_cover(args, done, fitted, extra: list[str], to_file: bool):
    """The cover a split is made of, to write in place of DONE, and the summary lines with
    its size in place of the minimal refinement's; a usage error when the parts cannot be
    written (standard output) or would overwrite an input."""
    if not to_file:
        raise UsageError("refine: --fit split the policy into several: give -o FILE (the "
                         "parts are written beside it); nothing written")
    refuse_collisions({"-o": args.output, "--certificate": args.certificate,
                       **fitting.part_files(args.output, fitted)},
                      {"the policy": args.policy, "the findings (--unused)": args.unused,
                       "the catalog (--catalog)": args.catalog})
    minimal_line = size.line(size.iam_size(done.text))
    cover = fitted.replacement
    return cover, [size.line(size.iam_size(cover.text)) if x == minimal_line else x
                   for x in extra]


def _name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _write(args, done, to_file: bool) -> None:
    """The refined policy, then its certificate, each atomically."""
    if to_file:
        write_atomically(args.output, done.text)
    if args.certificate:
        cert = done.certificate(cert_path=args.certificate, original_path=args.policy,
                                unused_path=args.unused, refined_path=args.output,
                                catalog_path=args.catalog)
        write_atomically(args.certificate, json.dumps(cert, indent=1, ensure_ascii=False)
                         + "\n")


def _print(args, done, refined_size, exposed, warnings, to_file: bool) -> None:
    """What goes to standard output: a JSON result, a diff, or the refined policy."""
    if args.format == "json":
        data = report.result_json(done.refinement, done.proving.proof if done.proving
                                  else None)
        data["warnings"] = warnings + data["warnings"]
        data["size"] = {"iam_characters": refined_size, "limits": size.LIMITS,
                        "over": size.overflows(refined_size)}
        data["exposure"] = None if exposed is None else exposure.as_json(exposed)
        data["usage"] = usage.as_json(done.refinement.unused)
        if done.fitting is not None:
            data["fit"] = done.fitting.as_json()
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif args.diff:
        sys.stdout.write(document.diff(done.refinement))
    elif not to_file:
        sys.stdout.write(done.text)
