"""Refine, prove and certify every AWS managed policy with a random fraction unused, in parallel.

    python benchmarks/prove_corpus.py [--fraction 0.3] [--jobs 2] [--seed 1] [--limit N]

Each worker loads the catalog once, then per policy: parse, draw the unused set (seeded by
policy name), refine, build every obligation, solve them, run the proof kernel (as `refine`
does), and serialise the certificate. Prints the kernel's share of the time and
the total wall time, per-policy p50/p90/p99/max, the slowest policies, and any policy that was
not proved (refuted, unknown or crashed). Reads ../shared/corpus/aws-managed-policies.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

from verify_refine.testing.corpus import (
    add_corpus_arguments,
    corpus_files,
    draw_unused,
    init_worker,
    managed_policies,
    worker_catalog,
)

CORPUS = managed_policies(Path(__file__).resolve().parents[1])


def prove_one(job):
    path, fraction, seed, timeout = job
    from verify_refine import pipeline
    from verify_refine.inputs.policy import parse_policy

    start = time.perf_counter()
    try:
        cat = worker_catalog()
        policy = parse_policy(Path(path).read_bytes(), path)
        unused = draw_unused(policy, cat, path, fraction, seed)
        done = pipeline.refine_and_prove(policy, unused, cat, timeout_s=timeout)
        proving = done.proving
        if done.proved:
            json.dumps(done.certificate(cert_path="c.cert.json", original_path=path,
                                        unused_path="u.json", refined_path="r.json",
                                        catalog_path=None))
        detail = "; ".join(f"{p.property}: {p.message}" for p in done.problems)[:300]
        return (Path(path).name, str(done.verdict), time.perf_counter() - start,
                len(proving.plan.obligations), detail, proving.kernel_seconds)
    except Exception as exc:  # a crash is a finding, reported with the rest
        return Path(path).name, "crashed", time.perf_counter() - start, 0, repr(exc), 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(ap)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure", file=sys.stderr)
        return 2
    files = corpus_files(CORPUS, limit=args.limit)
    jobs = [(f, args.fraction, args.seed, args.timeout) for f in files]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.jobs, init_worker, (args.catalog,)) as pool:
        rows = pool.map(prove_one, jobs, chunksize=4)
    wall = time.perf_counter() - start
    times = sorted(r[2] for r in rows)
    q = statistics.quantiles(times, n=100, method="inclusive")  # never past the max
    verdicts = {}
    for r in rows:
        verdicts[r[1]] = verdicts.get(r[1], 0) + 1
    print(f"{len(rows)} policies, {args.fraction:.0%} unused, {args.jobs} jobs: wall {wall:.1f} s; "
          f"per policy p50 {q[49]:.3f} s, p90 {q[89]:.3f} s, p99 {q[98]:.3f} s, "
          f"max {times[-1]:.3f} s; obligations {sum(r[3] for r in rows)}; verdicts {verdicts}")
    kernel, total = sum(r[5] for r in rows), sum(r[2] for r in rows)
    print(f"  proof kernel: {kernel:.1f} s of {total:.1f} s summed per-policy time "
          f"({kernel / total:.0%})")
    for name, verdict, seconds, count, detail, _ in sorted(rows, key=lambda r: -r[2])[:5]:
        print(f"  slowest: {name} {seconds:.2f} s ({count} obligations)")
    for name, verdict, seconds, count, detail, _ in rows:
        if verdict != "proved":
            print(f"  NOT PROVED: {name}: {verdict}: {detail}")
    return 0 if set(verdicts) == {"proved"} else 1


if __name__ == "__main__":
    sys.exit(main())
