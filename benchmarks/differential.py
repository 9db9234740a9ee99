"""The long differential run: tests/assurance/test_differential.py (and tests/assurance/test_matchers_agree.py) at
scale, split over processes with different hypothesis seeds, disagreements collected rather
than stopping at the first; prints the counts as Markdown.

    python benchmarks/differential.py                 # 2 processes x 5,200 examples per test
    python benchmarks/differential.py --examples 300 --processes 1   # a quick look
    python benchmarks/differential.py --rounds 10 --examples 1000   # 10 rounds, kept one by one
    python benchmarks/differential.py --from /tmp/vr-differential-XXXX   # report again

With --rounds, the processes run that many times in turn (each round with new seeds) and each
round's counts are kept as soon as it finishes, so a run that is stopped part way still reports
the rounds it finished (--from on its folder).

Each process runs pytest with VR_DIFF_EXAMPLES (examples per test; test (ii) judges 8
corruptions per example, so about 10 cases per example), VR_DIFF_SEED (its own seed),
VR_DIFF_COLLECT=1 and VR_DIFF_COUNTS (a JSON-lines file the test module appends its counts,
disagreements and unknowns to). Exit status: 0 when every prover agreed with the oracle on
every case, 1 otherwise (each disagreement is printed with its case as JSON: catalog, unused
set, original, refined, hints), 2 when a pytest process failed for another reason.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROVERS = ("obligations", "whole", "kernel")


def run(examples: int, processes: int, first_seed: int, match_examples: int, nice: int,
        rounds: int = 1):
    tmp = Path(tempfile.mkdtemp(prefix="vr-differential-"))
    (tmp / "revision.txt").write_text(_revision() + "\n", encoding="utf-8")
    print(f"counts and logs: {tmp}", file=sys.stderr, flush=True)
    results = []
    start = time.perf_counter()
    for r in range(rounds):
        seed = first_seed + r * processes
        results += _round(tmp, f"{r}-" if rounds > 1 else "", examples, processes, seed,
                          match_examples, nice)
        print(f"round {r + 1} of {rounds} finished after {time.perf_counter() - start:.0f} s",
              file=sys.stderr, flush=True)
    return results, time.perf_counter() - start, tmp


def _round(tmp: Path, tag: str, examples: int, processes: int, first_seed: int,
           match_examples: int, nice: int):
    procs = []
    for i in range(processes):
        counts = tmp / f"counts-{tag}{i}.jsonl"
        env = dict(os.environ, VR_DIFF_EXAMPLES=str(examples), VR_DIFF_SEED=str(first_seed + i),
                   VR_DIFF_COLLECT="1", VR_DIFF_COUNTS=str(counts),
                   VR_MATCH_EXAMPLES=str(match_examples))
        cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-n", "0",
               "tests/assurance/test_differential.py", "tests/assurance/test_matchers_agree.py"]
        if nice and hasattr(os, "nice"):
            cmd = ["nice", "-n", str(nice)] + cmd
        log = open(tmp / f"pytest-{tag}{i}.log", "w", encoding="utf-8")
        procs.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT), counts, log, first_seed + i))
    results = []
    for proc, counts, log, seed in procs:
        code = proc.wait()
        log.close()
        lines = counts.read_text(encoding="utf-8").splitlines() if counts.exists() else []
        output = Path(log.name).read_text(encoding="utf-8")
        results.append({"seed": seed, "exit": code, "records": [json.loads(x) for x in lines],
                        "log": log.name, "output": output})
    return results


def _verdicts(counts, name: str, verdict: str) -> int:
    return counts[f"corrupted:{name}:verdict:{verdict}"] or counts[f"corrupted:{name}:{verdict}"]


def _load(folder: Path):
    """The results of an earlier run, from its folder of counts and logs (for --from)."""
    results = []
    for counts in sorted(folder.glob("counts-*.jsonl")):
        records = [json.loads(x) for x in counts.read_text(encoding="utf-8").splitlines()]
        log = folder / counts.name.replace("counts-", "pytest-").replace(".jsonl", ".log")
        results.append({"seed": records[0]["seed"] if records else "?", "exit": 0,
                        "records": records, "log": str(log),
                        "output": log.read_text(encoding="utf-8") if log.exists() else ""})
    return results


def _wall(results) -> float:
    """An earlier run's wall time: the longest process of each round, summed over rounds."""
    rounds: dict[str, float] = {}
    for r in results:
        tag = Path(r["log"]).stem.rsplit("-", 1)[0]
        longest = max((rec["seconds"] for rec in r["records"]), default=0.0)
        rounds[tag] = max(rounds.get(tag, 0.0), longest)
    return sum(rounds.values())


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


def _revision() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
    dirty = git("status", "--short", "--", "src")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes in src/: "
                                                  + dirty.replace("\n", ", ") if dirty else "")


def report(results, wall: float, examples: int, folder: Path) -> tuple[str, int]:
    counts, seconds = Counter(), Counter()
    disagreements, unknowns = [], []
    pairs = 0
    for r in results:
        for rec in r["records"]:
            counts.update(rec["counts"])
            seconds.update(rec.get("prover_seconds", {}))
            disagreements += [dict(d, seed=r["seed"]) for d in rec["disagreements"]]
            unknowns += [dict(u, seed=r["seed"]) for u in rec.get("unknowns", [])]
        m = re.search(r"matchers agree: (\d+) pairs", r["output"])
        pairs += int(m.group(1)) if m else 0
    tests = ("refiner", "corrupted")
    total = sum(counts[f"{t}:cases"] for t in tests)
    out = [f"# Differential run ({len(results)} processes, seeds "
           f"{', '.join(str(r['seed']) for r in results)}, {examples} examples per test each)",
           "", f"- code: {_read(folder / 'revision.txt') or 'not recorded'} (at the start)",
           f"- counts and pytest logs: {folder}",
           f"- cases judged: **{total:,}** (refiner outputs {counts['refiner:cases']:,}, "
           f"corrupted outputs {counts['corrupted:cases']:,}); matcher pairs: {pairs:,}",
           f"- wall time: {wall:.0f} s ({wall / 60:.1f} min)",
           f"- pytest exit codes: {', '.join(str(r['exit']) for r in results)}", "",
           "| prover | cases | agree | unknown (fail-closed) | disagree | prover time (s) |",
           "|---|---:|---:|---:|---:|---:|"]
    for name in PROVERS:
        agree, disagree = (sum(counts[f"{t}:{name}:{w}"] for t in tests)
                           for w in ("agree", "disagree"))
        unknown = total - agree - disagree
        out.append(f"| {name} | {total:,} | {agree:,} | {unknown:,} | {disagree:,} | "
                   f"{seconds[name]:.0f} |")
    out += ["", "Oracle verdicts on the corrupted outputs (how often each property was violated):",
            "", "| property | policy oracle: violated / holds | statement oracle: violated / "
            "holds |", "|---|---:|---:|"]
    for prop in ("structure", "sound", "removes", "complete", "minimal", "kept"):
        pol = [counts[f"corrupted:oracle:policy:{prop}:{w}"] for w in ("violated", "holds")]
        sta = [counts[f"corrupted:oracle:statement:{prop}:{w}"] for w in ("violated", "holds")]
        pol_text = f"{pol[0]:,} / {pol[1]:,}" if sum(pol) else "-"
        out.append(f"| {prop} | {pol_text} | {sta[0]:,} / {sta[1]:,} |")
    out += ["", "Hint-based provers on corrupted outputs (a proved verdict is checked against "
            "every statement-oracle property; a removes/complete refutation against that "
            "property): "
            + "; ".join(f"{name} proved {_verdicts(counts, name, 'proved'):,}, refuted "
                        f"{_verdicts(counts, name, 'refuted'):,}"
                        for name in PROVERS if name != "whole")]
    out += ["", "Whole verifier verdicts on corrupted outputs: " + ", ".join(
        f"{prop} {counts[f'corrupted:whole:{prop}:refuted']:,} refuted / "
        f"{counts[f'corrupted:whole:{prop}:proved']:,} proved"
        for prop in ("sound", "removes", "complete")),
        "", "Corruptions applied: " + ", ".join(
            f"{k.split(':', 1)[1]} {v:,}" for k, v in sorted(counts.items())
            if k.startswith("corruption:")), ""]
    out.append(f"## Disagreements: {len(disagreements)}")
    for d in disagreements:
        out += ["", f"- seed {d['seed']}, {d['test']}: " + "; ".join(
            f"{n}: {p}" for n, p in d["problems"]),
            "  reproduction: `" + json.dumps(d["case"], ensure_ascii=False) + "`"]
    out += ["", f"## Unknown verdicts (first {len(unknowns)} kept)"]
    for u in unknowns:
        out += ["", f"- seed {u['seed']}, {u['test']}, {u['prover']}: {u['detail']}",
                "  case: `" + json.dumps(u["case"], ensure_ascii=False) + "`"]
    status = 0 if not disagreements else 1
    if any(r["exit"] != 0 for r in results):
        out += ["", "## pytest output of failing processes"]
        for r in results:
            if r["exit"] != 0:
                out += ["", f"seed {r['seed']} (exit {r['exit']}, log {r['log']}):", "```",
                        r["output"][-6000:], "```"]
        status = max(status, 2)
    return "\n".join(out) + "\n", status


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=5200, help="examples per test per process")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1000, help="seed of the first process")
    ap.add_argument("--match-examples", type=int, default=2500,
                    help="patterns per process for the matchers test (8 strings each)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the processes this many times in turn, keeping each round")
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--from", dest="folder", help="report on an earlier run's folder instead "
                    "(wall time: the longest process)")
    args = ap.parse_args(argv)
    if args.folder:
        folder = Path(args.folder)
        results = _load(folder)
        wall = _wall(results)
        args.examples = results[0]["records"][0]["examples"] if results else 0
    else:
        results, wall, folder = run(args.examples, args.processes, args.seed,
                                    args.match_examples, args.nice, args.rounds)
    text, status = report(results, wall, args.examples, folder)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
