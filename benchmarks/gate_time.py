"""Time `verify-refine gate` over N certificates built from the managed-policy corpus.

    python benchmarks/gate_time.py [--count 1000] [--runs 3] [--jobs-list 1,2] [--keep DIR]
                                   [--dask]

Builds a temporary git repository holding N certified policies: a seeded sample of the AWS
managed policies (read in place from the shared corpus; copies under a second name when N is
larger than the corpus), each with a seeded unused draw (verify_refine.testing.corpus), refined
and certified through the pipeline as `refine -o --certificate` does, in parallel. Then times
the whole `verify-refine gate --format json` process at each --jobs value (wall time,
time.perf_counter around the subprocess; min / median / max of --runs runs, interleaved) and
its CPU time (user + system of the gate and its workers, from getrusage), and checks that every
run passes with the same report. The machine's load average is printed with the figures: on a
shared machine the wall time says as much about the others as about the gate. With --dask,
also times `gate --scheduler` on a local Dask cluster of 2 worker processes started first (its
start timed apart). Standard library only, beside verify-refine (and its Dask dependency).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from verify_refine.testing.corpus import (
    corpus_files,
    draw_unused,
    init_worker,
    managed_policies,
    worker_catalog,
)

ROOT = Path(__file__).resolve().parents[1]


def certify_one(job) -> str:
    """Copy one policy into its folder, write its unused draw, refine, prove and certify it;
    returns the verdict."""
    from verify_refine.batch.certify import refine_and_certify
    from verify_refine.inputs.policy import parse_policy

    source, folder, fraction, seed = job
    folder = Path(folder)
    folder.mkdir(parents=True)
    data = Path(source).read_bytes()
    (folder / "policy.json").write_bytes(data)
    cat = worker_catalog()
    unused = draw_unused(parse_policy(data, source), cat, source, fraction, seed)
    if not unused.actions:  # nothing to remove: the gate would have nothing to prove either
        return "nothing unused"
    (folder / "unused.json").write_text(json.dumps(list(unused.actions)))
    row = refine_and_certify(data, str(folder / "policy.json"), unused, cat,
                             str(folder / "x.refined.json"), str(folder / "x.cert.json"), 10.0,
                             unused_path=str(folder / "unused.json"))
    return row["verdict"]


def sample(corpus: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """(policy file, folder name) for COUNT certificates: a seeded sample of the corpus, drawn
    again (as copies with another folder name) while COUNT exceeds it."""
    files = corpus_files(corpus)
    rng = random.Random(seed)
    picked, lap = [], 0
    while len(picked) < count:
        take = rng.sample(files, min(len(files), count - len(picked)))
        picked += [(f, f"{Path(f).stem}.{lap}") for f in take]
        lap += 1
    return picked


def build(repo: Path, corpus: Path, args) -> int:
    """The git repository of certified policies; returns how many certificates it holds."""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    jobs = [(f, str(repo / "policies" / name), args.fraction, args.seed)
            for f, name in sample(corpus, args.count * 13 // 10, args.seed)]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.build_jobs, init_worker, (None,)) as pool:
        verdicts = pool.map(certify_one, jobs, chunksize=4)
    certs = sorted((repo / "policies").glob("*/x.cert.json"))
    for extra in certs[args.count:]:  # keep exactly COUNT certified folders
        shutil.rmtree(extra.parent)
    for (_, folder, _, _), verdict in zip(jobs, verdicts):
        if verdict not in ("proved", "detach") and Path(folder).exists():
            shutil.rmtree(folder)  # a folder without a certificate would fail the gate
    made = len(list((repo / "policies").glob("*/x.cert.json")))
    print(f"built {made} certificates in {time.perf_counter() - start:.1f} s "
          f"({args.build_jobs} processes)", file=sys.stderr)
    return made


def cpu_of_children() -> float:
    """User + system seconds of the finished child processes (and the workers they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_gate(cli: str, repo: Path, jobs: int, scheduler: str | None = None
              ) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (the gate and its workers; not a --scheduler cluster's) and
    the report of one gate run."""
    command = [cli, "gate", "policies", "--format", "json", "--jobs", str(jobs)]
    command += ["--scheduler", scheduler] if scheduler else []
    start, cpu = time.perf_counter(), cpu_of_children()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, cpu_of_children() - cpu
    if done.returncode != 0:
        raise SystemExit(f"gate --jobs {jobs} exited {done.returncode}:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    return seconds, cpu, {k: report[k] for k in ("results", "certificates", "required",
                                                 "summary")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000, help="certificates to build")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per --jobs value")
    ap.add_argument("--jobs-list", default="1,2", help="the --jobs values to time")
    ap.add_argument("--build-jobs", type=int, default=2, help="processes building certificates")
    ap.add_argument("--fraction", type=float, default=0.3, help="share of matched actions unused")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sample and unused draws")
    ap.add_argument("--corpus", type=Path, default=managed_policies(ROOT),
                    help="the AWS managed policies (default: ../shared/corpus/...)")
    ap.add_argument("--keep", type=Path, help="build the repository here and keep it")
    ap.add_argument("--dask", action="store_true",
                    help="also time `gate --scheduler` on a local Dask cluster of 2 processes "
                         "(its start timed apart; needs verify-refine's dask dependency)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: the managed-policy corpus is not at {args.corpus} (give --corpus DIR)",
              file=sys.stderr)
        return 0
    cli = shutil.which("verify-refine") or str(Path(sys.executable).with_name("verify-refine"))
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.keep or Path(tmp) / "repo"
        if not (repo / "policies").is_dir():
            build(repo, args.corpus, args)
        count = len(list((repo / "policies").glob("*/x.cert.json")))
        jobs_list = [int(j) for j in args.jobs_list.split(",")]
        times: dict[int, list[float]] = {j: [] for j in jobs_list}
        cpu: dict[int, list[float]] = {j: [] for j in jobs_list}
        reports = set()
        for _ in range(args.runs):
            for jobs in jobs_list:
                seconds, used, report = time_gate(cli, repo, jobs)
                times[jobs].append(seconds)
                cpu[jobs].append(used)
                reports.add(json.dumps(report, sort_keys=True))
        if len(reports) > 1:
            raise SystemExit("the reports differ between runs or --jobs values")
        if args.dask:
            time_dask(cli, repo, args.runs, count, reports)
        for jobs, seconds in times.items():
            print(f"gate over {count} certificates, --jobs {jobs}: min {min(seconds):.1f} s, "
                  f"median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s "
                  f"({len(seconds)} runs; {statistics.median(seconds) / count * 1000:.0f} ms "
                  f"per certificate); CPU median {statistics.median(cpu[jobs]):.1f} s "
                  f"(user + system, workers included); 1-minute load average at the end "
                  f"{os.getloadavg()[0]:.1f}")
    return 0


def time_dask(cli: str, repo: Path, runs: int, count: int, reports: set) -> None:
    """`gate --scheduler` on a local cluster of 2 worker processes started here: the
    cluster's start and each run timed apart (a gate that started its own cluster would pay
    both); the report must be that of the --jobs runs."""
    import logging

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(2)
        started = time.perf_counter() - start
        seconds = []
        for _ in range(runs):
            wall, _, report = time_gate(cli, repo, 1, cluster.scheduler_address)
            seconds.append(wall)
            reports.add(json.dumps(report, sort_keys=True))
    if len(reports) > 1:
        raise SystemExit("the report of gate --scheduler differs from that of --jobs")
    print(f"local Dask cluster of 2 processes: started in {started:.1f} s; gate over {count} "
          f"certificates, --scheduler: min {min(seconds):.1f} s, median "
          f"{statistics.median(seconds):.1f} s, max {max(seconds):.1f} s ({runs} runs); "
          f"1-minute load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
