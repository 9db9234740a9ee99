"""How the AWS managed policies fit IAM's managed-policy limit once refined: minimal refinements over
the limit, brought under by the smaller cover (`--fit`), split into K proved managed policies,
or not fitting at all.

    python benchmarks/fit_corpus.py [--fractions 0.1,0.3,0.6] [--limit N] [--jobs 2]
                                    [--seed 1] [--target 6144] [--out DIR] [--no-prove]

Per policy and fraction, the unused set is the seeded draw every corpus benchmark shares
(testing/corpus.py). The minimal refinement is measured (IAM characters); when it is over the
target and the smaller cover exists (verify_refine.refine.fit, the `--fit` search), the cover
is searched and measured (size, the exposure it adds); what is still over the target (the
cover when there is one, else the minimal refinement) is split (refine/split.py) and the split
proved (pipeline.prove_split) unless --no-prove. Writes OUTDIR/fit.csv (one row per policy and
fraction), OUTDIR/fit.md (one table) and OUTDIR/fit-parts.png (how many parts), and prints
the table. Reads ../shared/corpus/aws-managed-policies.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

from verify_refine.testing.corpus import (
    corpus_files,
    draw_unused,
    init_worker,
    managed_policies,
    worker_catalog,
)

CORPUS = managed_policies(Path(__file__).resolve().parents[1])
NOT_MEASURED = "not measured"
COLUMNS = ("policy", "fraction", "original_size", "minimal_size", "cover", "cover_size", "exposure_added",
           "split", "parts", "detail", "seconds_refine", "seconds_fit", "seconds_split")


def cover_search():
    """The `--fit` search's entry point when this tree has it, else None (not measured)."""
    try:
        from verify_refine.refine import fit
    except ImportError:
        return None
    return getattr(fit, "fit", None)


def measure(job) -> dict:
    """One policy at one fraction: the row of fit.csv."""
    path, fraction, seed, target, timeout, prove = job
    row = dict.fromkeys(COLUMNS, "")
    row.update(policy=Path(path).name, fraction=fraction, cover=NOT_MEASURED, split="-")
    try:
        _measure(row, path, fraction, seed, target, timeout, prove)
    except Exception as exc:  # a crash is a finding, reported with the rest
        row.update(split="crashed", detail=repr(exc)[:300])
    return row


def _measure(row, path, fraction, seed, target, timeout, prove) -> None:
    from verify_refine import pipeline
    from verify_refine.inputs.policy import parse_policy
    from verify_refine.jsonout import dumps
    from verify_refine.refine.split import SplitError, split_policy
    from verify_refine.report.document import refined_document
    from verify_refine.report.size import iam_size

    cat = worker_catalog()
    data = Path(path).read_bytes()
    policy = parse_policy(data, path)
    row["original_size"] = iam_size(data.decode("utf-8"))
    unused = draw_unused(policy, cat, path, fraction, seed)
    start = time.perf_counter()
    done = pipeline.refine_and_prove(policy, unused, cat, prove=False)
    row["seconds_refine"] = round(time.perf_counter() - start, 3)
    row["minimal_size"] = size = iam_size(done.text)
    if size <= target:
        row["cover"] = "-"
        return
    document, search = refined_document(done.refinement), cover_search()
    if search is not None:
        start = time.perf_counter()
        cover, fitting = search(done.refinement, target,
                                lambda ref: iam_size(dumps(refined_document(ref))))
        row["seconds_fit"] = round(time.perf_counter() - start, 3)
        row.update(cover=fitting.status, cover_size=fitting.size,
                   exposure_added=fitting.exposure_added)
        if fitting.size <= target:
            return
        document = refined_document(cover)
    start = time.perf_counter()
    try:
        if not prove:
            row.update(parts=len(split_policy(document, target)), split="not proved")
            return
        whole = parse_policy((dumps(document) + "\n").encode("utf-8"), "refined",
                             allow_empty=True)
        done = pipeline.split_and_prove(whole, cat, limit=target, timeout_s=timeout)
    except SplitError as exc:
        row.update(split="cannot", detail=exc.message)
        return
    finally:
        row["seconds_split"] = round(time.perf_counter() - start, 3)
    row.update(parts=len(done.parts), split=str(done.proof.verdict),
               detail="" if done.proof.proved else done.proof.explanation[:300])


def _q(values: list[float], at: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[at - 1]:.2f}"


def summary_row(rows: list[dict], target: int) -> list[str]:
    """One line of the table: the rows of one fraction."""
    over = [r for r in rows if r["minimal_size"] != "" and r["minimal_size"] > target]
    measured = [r for r in over if r["cover"] != NOT_MEASURED]
    split = [r for r in over if r["parts"] != ""]
    parts = sorted(r["parts"] for r in split)
    ratios = [r["cover_size"] / r["minimal_size"] for r in measured]
    crashed = sum(r["split"] == "crashed" for r in rows)
    return [
        f"{rows[0]['fraction']:.0%}", f"{len(rows):,}" + (f" ({crashed} crashed)" if crashed
                                                         else ""),
        f"{sum(r['original_size'] != '' and r['original_size'] > target for r in rows):,}",
        f"{len(over):,}",
        f"{sum(r['cover_size'] != '' and r['cover_size'] <= target for r in measured):,}"
        if measured or not over else NOT_MEASURED,
        f"{len(split):,}",
        f"{statistics.median(parts):g} / {parts[-1]}" if parts else "-",
        f"{sum(k > 10 for k in parts)} / {sum(k > 20 for k in parts)}",
        f"{sum(r['split'] == 'cannot' for r in over):,}",
        f"{sum(r['split'] == 'proved' for r in split):,} of {len(split):,}",
        f"{statistics.mean(ratios):.3f}" if ratios else NOT_MEASURED,
        f"{sum(r['exposure_added'] for r in measured):,}" if measured else NOT_MEASURED,
        f"{_q([r['seconds_fit'] for r in measured], 50)} / "
        f"{_q([r['seconds_fit'] for r in measured], 99)}",
        f"{_q([r['seconds_split'] for r in split], 50)} / "
        f"{_q([r['seconds_split'] for r in split], 99)}",
    ]


HEADER = ["unused", "policies", "original over the limit", "minimal over the limit", "brought under by the cover",
          "need a split", "parts (median / max)", "parts > 10 / > 20", "cannot fit",
          "splits proved", "mean size cover / minimal", "exposure added (cover)",
          "cover search s (p50 / p99)", "split + proof s (p50 / p99)"]


def table(rows: list[dict], target: int, fractions: list[float]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for f in fractions:
        mine = [r for r in rows if r["fraction"] == f]
        if mine:
            lines.append("| " + " | ".join(summary_row(mine, target)) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], target: int, fractions: list[float], out: Path, what: str) -> None:
    """Bars: per fraction, how many policies fit as refined, by the cover, in K parts, or not."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buckets = ["fits", "cover fits", "2 parts", "3-5", "6-10", "11-20", "> 20", "cannot"]

    def bucket(r):
        if r["minimal_size"] == "" or r["split"] == "crashed":
            return None
        if r["minimal_size"] <= target:
            return "fits"
        if r["split"] == "cannot":
            return "cannot"
        if r["parts"] == "":
            return "cover fits"
        k = r["parts"]
        return "2 parts" if k == 2 else "3-5" if k <= 5 else "6-10" if k <= 10 \
            else "11-20" if k <= 20 else "> 20"
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(fractions), 1)
    for n, f in enumerate(fractions):
        counts = [sum(bucket(r) == b for r in rows if r["fraction"] == f) for b in buckets]
        ax.bar([i + n * width for i in range(len(buckets))], counts, width, label=f"{f:.0%}")
    ax.set_xticks([i + width * (len(fractions) - 1) / 2 for i in range(len(buckets))], buckets)
    ax.set_yscale("log")
    ax.set_ylabel("policies (log scale)")
    ax.set_title(f"{what}, refined: fitting {target:,} characters")
    ax.legend(title="unused")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fractions", default="0.1,0.3,0.6", help="shares of actions unused")
    ap.add_argument("--limit", type=int, default=None, help="only the first N policies")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--seed", type=int, default=1, help="seed of the unused draw")
    ap.add_argument("--target", type=int, default=6144, help="characters (default: managed)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query")
    ap.add_argument("--catalog", default=None, help="catalog file (default: the installed one)")
    ap.add_argument("--out", default="fit-results", help="folder for fit.csv, .md and .png")
    ap.add_argument("--no-prove", action="store_true", help="split without proving")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure", file=sys.stderr)
        return 2
    fractions = [float(f) for f in args.fractions.split(",")]
    files = corpus_files(CORPUS, limit=args.limit)
    jobs = [(f, fr, args.seed, args.target, args.timeout, not args.no_prove)
            for fr in fractions for f in files]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.jobs, init_worker, (args.catalog,)) as pool:
        rows = pool.map(measure, jobs, chunksize=2)
    wall = time.perf_counter() - start
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "fit.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    text = table(rows, args.target, fractions)
    (out / "fit.md").write_text(text, encoding="utf-8")
    what = (f"the first {len(files):,} AWS managed policies" if args.limit
            else f"{len(files):,} AWS managed policies")
    plot(rows, args.target, fractions, out / "fit-parts.png", what)
    print(text + f"\n{len(files)} policies x {len(fractions)} fractions, {args.jobs} jobs: "
          f"wall {wall:.0f} s; cover search: "
          f"{'measured' if cover_search() else NOT_MEASURED}")
    for r in rows:
        if r["split"] not in ("-", "proved", "cannot", "not proved"):
            print(f"  NOT PROVED: {r['policy']} at {r['fraction']:.0%}: {r['split']}: "
                  f"{r['detail']}")
    return 0 if all(r["split"] in ("-", "proved", "cannot", "not proved") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
