"""Our refine, and refine + prove, against policyuniverse's minimize on the same statements, in one run.

    python benchmarks/vs_policyuniverse.py [--policy NAME ...] [--fraction 0.3] [--seed 1] [--runs 3]

For each policy (default: the read-only managed policies below), with the same unused draw and
the same catalog (policyuniverse's own catalog is swapped for ours while it runs, as the
`policyuniverse` strategy of `verify-refine compare` does), times in turn, `--runs` times:
A = our refine alone, B = our refine + every proof obligation + the proof kernel (what
`refine` does before it writes),
C = policyuniverse's minimize_statement_actions over the used actions. Interleaving A, B, C
in one loop keeps the ratios fair on a noisy machine. Prints medians and the ratios B/C, A/C.
Needs the `compare` extra (policyuniverse) and ../shared/corpus.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "aws-managed-policies"
DEFAULT = ["ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonEC2ReadOnlyAccess",
           "IAMReadOnlyAccess", "AWSLambda_ReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess",
           "CloudWatchReadOnlyAccess", "AmazonRDSReadOnlyAccess"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", action="append")
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    from verify_refine import pipeline
    from verify_refine.compare import harness, strategies
    from verify_refine.inputs import catalog as catalog_mod
    from verify_refine.inputs.policy import parse_policy

    cat = catalog_mod.load(None)

    def ours(policy, unused, prove):
        done = pipeline.refine_and_prove(policy, unused, cat, prove=prove)
        assert not prove or done.proved

    totals = {"A": 0.0, "B": 0.0, "C": 0.0}
    for name in args.policy or DEFAULT:
        path = CORPUS / f"{name}.json"
        policy = parse_policy(path.read_bytes(), str(path))
        unused = harness.draw_unused(policy, cat, args.fraction, args.seed, path.name)
        runs = {"A": [], "B": [], "C": []}
        for _ in range(args.runs):
            for key, job in (("A", lambda: ours(policy, unused, False)),
                             ("B", lambda: ours(policy, unused, True)),
                             ("C", lambda: strategies.policyuniverse(policy, cat, unused))):
                start = time.perf_counter()
                job()
                runs[key].append(time.perf_counter() - start)
        med = {k: statistics.median(v) for k, v in runs.items()}
        for k in totals:
            totals[k] += med[k]
        print(f"{name}: refine {med['A']:.3f} s, refine+prove {med['B']:.3f} s, "
              f"policyuniverse minimize {med['C']:.3f} s; (refine+prove)/minimize "
              f"{med['B'] / med['C']:.3f}, refine/minimize {med['A'] / med['C']:.3f}")
    print(f"all: refine {totals['A']:.2f} s, refine+prove {totals['B']:.2f} s, policyuniverse "
          f"{totals['C']:.2f} s; (refine+prove)/minimize {totals['B'] / totals['C']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
