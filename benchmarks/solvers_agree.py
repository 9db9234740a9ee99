"""Two solvers agree: every obligation z3 answers is re-solved by cvc5, and the answers compared.

    python benchmarks/solvers_agree.py [--fraction 0.3] [--jobs 2] [--seed 1] [--limit N]
                                       [--timeout 10] [--no-nice]

Same corpus and the same seeded unused draw as prove_corpus.py. Per policy: parse, draw the
unused set, refine, plan, solve every obligation with z3, then solve it again with cvc5 through
the project's own wrapper (prove.solver.solve(..., solver="cvc5")), with the same timeout.

A disagreement is two definite answers that differ (sat against unsat). An unknown or timeout
from either solver is counted on its own line and is never a disagreement. Each sat answer, from
either solver, also has its witness evaluated by the prover (prover.judge), so "cvc5 says sat" is
only counted as agreeing when its model is a real witness. Prints a Markdown report on stdout and
progress on stderr; exit 0 when there is no disagreement, no failed witness and nothing crashed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from verify_refine.testing.corpus import add_corpus_arguments, corpus_files, managed_policies
from verify_refine.testing.solvers_agree import report, run

CORPUS = managed_policies(Path(__file__).resolve().parents[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(ap)
    ap.add_argument("--slowest", type=int, default=15, help="rows in the slowest-for-cvc5 table")
    ap.add_argument("--no-nice", dest="nice", action="store_false",
                    help="run at normal priority (default: nice 10)")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to compare", file=sys.stderr)
        return 2
    from verify_refine.prove.solver import version

    versions = f"{version('z3')}, {version('cvc5')}"
    files = corpus_files(CORPUS, limit=args.limit)
    last = [time.perf_counter()]

    def progress(i, n, s):
        now = time.perf_counter()
        if i == n or now - last[0] > 30:
            last[0] = now
            print(f"[{time.strftime('%H:%M:%S')}] {i}/{n} policies, {len(s.rows)} obligations, "
                  f"{len(s.disagreements())} disagreements", file=sys.stderr, flush=True)

    if args.nice:  # the workers inherit it
        os.nice(10)
    start = time.perf_counter()
    s = run(files, fraction=args.fraction, seed=args.seed, timeout=args.timeout,
            jobs=args.jobs, catalog=args.catalog, progress=progress)
    wall = time.perf_counter() - start
    print(report(s, args, wall, versions, CORPUS), end="")
    return 0 if s.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
