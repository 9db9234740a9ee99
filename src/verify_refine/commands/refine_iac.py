"""`verify-refine refine TEMPLATE`: refine the policies of a CloudFormation template (or Terraform
code) and write the proved action lists back into it (`--in-place`) or into a copy (`-o`), with
a certificate per policy; refine.run hands a template here."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

from ..errors import UsageError
from ..files import STDIN, check_writable, finishing, refuse_collisions, write_atomically
from ..iac import extract, refining, targets
from ..iac.reading import read_sources
from ..inputs import catalog as catalog_mod
from ..inputs import findings
from ..report import summary as report
from ..verdict import Exit
from . import options


def run(args) -> int:
    _check_options(args)
    sources = read_sources(args.policy)
    cat = catalog_mod.load(args.catalog)
    unused, warnings = findings.load(args.unused, cat, args.unused_since)
    pairs = _selected(sources, args)
    _check_outputs(args, sources)
    findings.require_open(unused, args.unused, args.include_resolved)
    findings.require_something(unused, args.unused, args.allow_nothing_unused)
    results = refining.refine_each(pairs, unused, cat, options.guards(args),
                                   timeout_s=args.timeout, prove=not args.no_prove)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    failed = [r for r in results if r.done.verdict is not None and not r.done.proved]
    if failed:
        for result in failed:
            print(f"{result.found.address}: {report.proof_failure(result.done.problems)}",
                  file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return max(r.done.verdict.exit_code for r in failed)
    try:
        texts = refining.rewritten(results)
    except refining.NotHeld as error:
        print(f"error: {error}", file=sys.stderr)
        return Exit.UNKNOWN
    outputs = _outputs(args, sources, texts)
    certificates = _certificates(args, results, outputs) if args.certificate else {}
    with finishing():
        if certificates:
            Path(args.certificate).mkdir(parents=True, exist_ok=True)
        for path, text in {**outputs, **certificates}.items():
            write_atomically(path, text)
    _report(args, results, sources, texts, outputs, certificates)
    return 0


def _check_options(args) -> None:
    """Options that make no sense for a template, refused before anything is read."""
    if args.in_place and args.output:
        raise UsageError("refine: --in-place and -o both say where to write; give one")
    if args.policy == STDIN:
        raise UsageError("refine: a template is read from a file, not standard input")
    if args.exposure_since:
        raise UsageError("refine: --exposure-since is for a policy file, not a template")
    if args.format == "json" and args.diff:
        raise UsageError("refine: --diff and --format json both print to standard output; "
                         "give one")
    if args.certificate is not None:
        if args.no_prove:
            raise UsageError("refine: --certificate needs a proof; drop --no-prove")
        if not (args.in_place or args.output and args.output != STDIN):
            raise UsageError("refine: --certificate needs --in-place or -o FILE: the "
                             "certificates name the refined template")
        if args.unused == STDIN:
            raise UsageError("refine: --certificate needs the findings as a file (the "
                             "certificates name it), not standard input")


def _selected(sources, args) -> list:
    """The policies to refine: --policy, else every policy of the findings' principal; one
    that cannot be written back is refused before any work."""
    pairs = [targets.by_address(sources, args.target_policy)] if args.target_policy else \
        _held(sources, args)
    for _, policy in pairs:
        if policy.style.get("read_only"):
            raise UsageError(f"refine: `{policy.address}` cannot be written back: "
                             f"{policy.style['read_only']}", policy.place.path,
                             policy.place.line, policy.place.column)
    return pairs


def _held(sources, args) -> list:
    """Every policy the findings' principal (or --role) holds alone."""
    who = targets.principal(sources, args.role, args.unused)
    held = targets.held_by(sources, who)
    for refusal in (r for s in sources for r in s.refusals
                    if r.address.startswith(who.address + ".")):
        print(f"warning: {refusal.place}: {refusal.address}: refused: {refusal.message} "
              "(not refined)", file=sys.stderr)
    shared = [(s, p) for s, p in held if set(p.holders) - {who.address}]
    for _, policy in shared:
        others = ", ".join(h for h in policy.holders if h != who.address)
        print(f"warning: {policy.place}: {policy.address} is also held by {others}: not "
              f"refined by {who.address}'s findings alone (give --policy {policy.address} "
              "to refine it anyway)", file=sys.stderr)
    held = [pair for pair in held if pair not in shared]
    if not held:
        raise UsageError(f"refine: {who.address} holds no policy of its own in the source "
                         "(list-policies shows them)")
    return held


def _check_outputs(args, sources) -> None:
    """Where the results go can be written and overwrites no input: before any work."""
    if args.output and args.output != STDIN:
        if len(sources) != 1:
            raise UsageError("refine: -o writes one file; the input holds "
                             f"{len(sources)} (use --in-place)")
        check_writable(args.output)
        refuse_collisions({"-o": args.output}, {"the template": args.policy,
                                                 "the findings (--unused)": args.unused})
    if args.certificate:
        if Path(args.certificate).exists() and not Path(args.certificate).is_dir():
            raise UsageError(f"refine: --certificate {args.certificate}: for a template it "
                             "names a folder (one certificate per policy)")
        folder = Path(args.certificate)
        check_writable(str(folder / "certificate") if folder.is_dir() else args.certificate)


def _outputs(args, sources, texts: dict[str, str]) -> dict[str, str]:
    """The files to write (path -> text): the changed sources in place, or the one copy."""
    if args.in_place:
        return dict(texts)
    if args.output and args.output != STDIN:
        source = sources[0]
        return {args.output: texts.get(source.path, source.text)}
    return {}


def certificate_stem(template: str, address: str) -> str:
    """The name a policy's certificate (and saved original) starts with, in --certificate's
    folder: the template's name without its suffix, then the address (`[i]` as `.i`)."""
    safe = address.replace("[", ".").replace("]", "").replace("/", "_")
    return f"{Path(template).stem}.{safe}"


def _certificates(args, results, outputs) -> dict[str, str]:
    """Each proved policy's certificate (and, in place, its original policy as a JSON file,
    which the template no longer holds): path -> text. A policy to detach has none."""
    out: dict[str, str] = {}
    folder = Path(args.certificate)
    for result in (r for r in results if not r.detach):
        stem = folder / certificate_stem(result.found.path, result.found.address)
        cert_path = f"{stem}.cert.json"
        refined_path = result.found.path if args.in_place else args.output
        original_path = result.found.path
        addresses = {"original": result.found.address, "refined": result.found.address}
        if args.in_place:
            original_path = f"{stem}.original.json"
            out[original_path] = extract.policy_text(result.found)
            del addresses["original"]
        cert = result.done.certificate(cert_path=cert_path, original_path=original_path,
                                       unused_path=args.unused, refined_path=refined_path,
                                       catalog_path=args.catalog)
        cert = {**{k: v for k, v in cert.items() if k != "sha256"}, "addresses": addresses,
                "sha256": cert["sha256"]}
        out[cert_path] = json.dumps(cert, indent=1, ensure_ascii=False) + "\n"
    return out


def _report(args, results, sources, texts, outputs, certificates) -> None:
    """What each policy came to (stderr), and the template, a diff or JSON (stdout)."""
    for result in results:
        removed = sum(1 for v in result.edit.values() if v is None)
        proof = "proved" if result.done.proved else "not proved (--no-prove)"
        if result.detach:
            holders = ", ".join(result.found.holders) or "its principals"
            print(f"{result.found.place}: {result.found.address}: nothing left to allow: "
                  f"detach it from {holders} (left in the source as it was; {proof})",
                  file=sys.stderr)
            continue
        what = (f"{len(result.edit) - removed} action list(s) changed, {removed} statement(s) "
                "removed") if result.edit else "unchanged"
        print(f"{result.found.place}: {result.found.address}: {what} ({proof})",
              file=sys.stderr)
    for path in list(outputs) + list(certificates):
        print(f"wrote {path}", file=sys.stderr)
    if args.format == "json":
        data = {"policies": [{"address": r.found.address, "path": r.found.path,
                              "detach": r.detach, "edit": {str(k): v for k, v in
                                                           r.edit.items()},
                              "result": report.result_json(r.done.refinement, r.done.proving.proof
                                                           if r.done.proving else None)}
                             for r in results]}
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif args.diff:
        for source in sources:
            new = texts.get(source.path, source.text)
            sys.stdout.writelines(difflib.unified_diff(
                source.text.splitlines(True), new.splitlines(True), source.path, source.path))
    elif not args.in_place and (not args.output or args.output == STDIN):
        for source in sources:
            sys.stdout.write(texts.get(source.path, source.text))
