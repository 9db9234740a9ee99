"""Time `verify-refine batch` over a synthetic organization: cold, repeated, 1% findings changed.

    python benchmarks/org_scale.py [--accounts 3] [--roles 100] [--jobs-list 1,2] [--keep DIR]

Generates a seeded organization from the managed-policy corpus (verify_refine.testing.org:
ACCOUNTS accounts of ROLES roles, each with 1-5 attached and 0-2 inline corpus policies and
get-finding-v2 findings), then, for each --jobs value on its own copy of it, runs the whole
`verify-refine batch ORG -o OUT` process three times: cold (new OUT, new cache), repeat (same
command, nothing changed) and changed (after --change of the findings files are edited, each
losing one unused entry). For each run: wall time (time.perf_counter around the process), ms per
principal, policies per second, the CPU seconds of the run (user + system, workers included) and
the peak resident memory of its largest process (a worker, or batch itself; both from getrusage
RUSAGE_CHILDREN of a wrapper process) and, apart, of the batch process and of its largest
Dask worker (VmHWM in /proc, read twice a second, on Linux), and the exit code. The speed-up
is cold at the first --jobs value over cold at each other. Options the installed batch
offers are used when present (checked in `batch --help`): `--cache DIR` (a new folder per
--jobs value) and `--scheduler ADDRESS` when this script is given one (else a local run).
The machine's load average is printed with the figures. Standard library only, beside verify-refine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from verify_refine.testing import org
from verify_refine.testing.corpus import managed_policies

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("verify-refine")
# Runs COMMAND, then prints the peak RSS (kB) of the largest process it waited for and the CPU
# seconds (user + system) of all of them.
WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(code)")


def batch_options() -> set[str]:
    """The long options `verify-refine batch --help` lists."""
    text = subprocess.run([str(SCRIPT), "batch", "--help"], capture_output=True, text=True,
                          check=True).stdout
    return {word.strip("[],") for word in text.split() if word.startswith(("--", "[--"))}


def timed(argv: list[str]) -> dict:
    """Run the batch process under the wrapper: wall seconds, peak MB (of the largest process,
    of batch's own and of its largest Dask worker), exit code, last line."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peaks: dict[str, int] = {}
    watcher = threading.Thread(target=watch_peaks, args=(proc, peaks), daemon=True)
    watcher.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    watcher.join()
    peak_kb, cpu = err.strip().splitlines()[-1].split()
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return {"seconds": round(seconds, 2), "cpu_seconds": round(float(cpu), 2),
            "peak_mb": round(int(peak_kb) / 1024, 1),
            **{f"peak_{role}_mb": round(kb / 1024, 1) for role, kb in sorted(peaks.items())},
            "exit": proc.returncode, "last_line": last}


def watch_peaks(proc: subprocess.Popen, peaks: dict[str, int]) -> None:
    """Until PROC ends, twice a second: the peak resident set (VmHWM, kB) of the batch process
    and of each Dask worker under it (Linux /proc; nothing elsewhere), the largest by role."""
    while proc.poll() is None:
        for pid, cmdline in descendants(proc.pid):
            role = ("worker" if b"--multiprocessing-fork" in cmdline else "batch"
                    if b"verify-refine" in cmdline else None)
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if role and line.startswith("VmHWM:"):
                    peaks[role] = max(peaks.get(role, 0), int(line.split()[1]))
        time.sleep(0.5)


def descendants(root: int) -> list[tuple[int, bytes]]:
    """The processes under ROOT, each with its command line (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid:
                todo.append(child)
                try:
                    found.append((child, Path(f"/proc/{child}/cmdline").read_bytes()))
                except OSError:
                    pass
    return found


def policies_in(out: Path) -> int:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data["total"]["policies"]


def one_setting(base: Path, work: Path, jobs: int, args, options: set[str],
                principals: int) -> list[dict]:
    """Cold, repeat and changed runs at one --jobs value, on a fresh copy of the organization."""
    organization, out = work / f"org-{jobs}", work / f"out-{jobs}"
    shutil.copytree(base, organization)
    argv = [str(SCRIPT), "batch", str(organization), "-o", str(out), "--jobs", str(jobs),
            "--timeout", str(args.timeout)]
    if "--cache" in options:
        argv += ["--cache", str(work / f"cache-{jobs}")]
    if args.scheduler:
        argv += ["--scheduler", args.scheduler]
    results = []
    for run in ("cold", "repeat", "changed"):
        changed = []
        if run == "changed":
            changed = org.perturb(organization, args.change, seed=args.seed)
        result = {"jobs": jobs, "run": run, **timed(argv), "changed_findings": len(changed)}
        policies = policies_in(out)
        result.update(principals=principals, policies=policies,
                      ms_per_principal=round(1000 * result["seconds"] / principals, 1),
                      policies_per_s=round(policies / result["seconds"], 1))
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=3)
    ap.add_argument("--roles", type=int, default=100, help="roles per account")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-bytes", type=int, default=org.Shape.max_bytes,
                    help="only corpus policies whose file is at most this big")
    ap.add_argument("--max-actions", type=int, default=org.Shape.max_actions,
                    help="only corpus policies granting at most this many catalog actions")
    ap.add_argument("--jobs-list", default="1,2", help="--jobs values, comma separated")
    ap.add_argument("--change", type=float, default=0.01, help="share of findings changed")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query")
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--scheduler", default=None,
                    help="a Dask scheduler's address, passed on to batch (when it offers one)")
    args = ap.parse_args()
    corpus = managed_policies(ROOT)
    if not corpus.is_dir():
        print(f"org_scale: the managed-policy corpus is absent: {corpus} (clone the project "
              "next to its shared/ folder)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="org-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    shape = org.Shape(args.accounts, args.roles, args.seed, max_bytes=args.max_bytes,
                      max_actions=args.max_actions)
    counts = org.generate(corpus, work / "org-base", shape)
    options = batch_options()
    if args.scheduler and "--scheduler" not in options:
        print("org_scale: this batch has no --scheduler (the Dask engine is not installed)",
              file=sys.stderr)
        return 2
    print(f"organization: {json.dumps(counts)}; batch options used: "
          f"{sorted(options & {'--jobs', '--cache', '--scheduler'})}; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    results = []
    try:
        for jobs in (int(j) for j in args.jobs_list.split(",")):
            results += one_setting(work / "org-base", work, jobs, args, options,
                                   counts["principals"])
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    cold = [r for r in results if r["run"] == "cold"]
    speedups = {f"{cold[0]['jobs']}->{r['jobs']}": round(cold[0]["seconds"] / r["seconds"], 2)
                for r in cold[1:]}
    summary = {"organization": counts, "runs": results, "cold_speedup": speedups,
               "load_average_after": round(os.getloadavg()[0], 2)}
    print(json.dumps({"cold_speedup": speedups,
                      "load_average_after": summary["load_average_after"]}))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
