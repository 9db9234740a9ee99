"""Time `verify-refine refine --no-prove` (refining alone) as a whole process on real policies.

    python benchmarks/refine_time.py [--policy NAME ...] [--fraction 0.3] [--runs 5] [--seed 1]

Writes each policy's unused set to a temporary findings file, then runs the installed CLI
(process start, catalog load, parse, refine, output) `--runs` times and prints min/median/max.
Reads policies from ../shared/corpus/aws-managed-policies; says so and stops when it is absent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from verify_refine.testing.corpus import managed_policies, unused_for

ROOT = Path(__file__).resolve().parents[1]
CORPUS = managed_policies(ROOT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", action="append", default=None)
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--catalog", default=None)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure", file=sys.stderr)
        return 2
    cli = shutil.which("verify-refine") or str(Path(sys.executable).with_name("verify-refine"))
    for name in args.policy or ["ReadOnlyAccess"]:
        path = CORPUS / f"{name}.json"
        unused, matched = unused_for(path, args.fraction, args.seed, args.catalog)
        with tempfile.TemporaryDirectory() as tmp:
            findings = Path(tmp) / "unused.json"
            findings.write_text(json.dumps(unused))
            cmd = [cli, "refine", str(path), "--unused", str(findings), "--no-prove", "-o",
                   str(Path(tmp) / "out.json")]
            if args.catalog:
                cmd += ["--catalog", args.catalog]
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                times.append(time.perf_counter() - start)
        print(f"{name}: {matched} catalog actions matched, {len(unused)} unused "
              f"({args.fraction:.0%}); refine wall time over {args.runs} runs: "
              f"min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
