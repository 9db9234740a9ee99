"""PNG plots of a comparison (matplotlib, Agg backend): size, time and future exposure."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def write_all(rows: list[dict], strategies, original_sizes: dict[str, int], out: Path,
              with_exposure: bool = True) -> list[Path]:
    """size.png (box plot per strategy), time.png (refine+prove against original size, log
    axes) and exposure.png (total future exposure per strategy; empty bars without an old
    catalog)."""
    plt = _pyplot()
    ran = [s for s in strategies if any(r["strategy"] == s and r["size"] != "" for r in rows)]
    by = {s: [r for r in rows if r["strategy"] == s and r["size"] != ""] for s in ran}
    written = []

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.boxplot([[float(r["size"]) for r in by[s]] for s in ran] or [[]],
               tick_labels=ran or [""])
    ax.set_yscale("log")  # sizes span four orders of magnitude
    ax.set_ylabel("refined policy size (IAM characters, log scale)")
    ax.set_title("Size per strategy")
    fig.tight_layout()
    written.append(_save(fig, plt, out / "size.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    for s in ran:
        xs = [max(1, original_sizes.get(r["policy"], 1)) for r in by[s]]
        ys = [max(1e-4, float(r["refine_seconds"] or 0) + float(r["prove_seconds"] or 0))
              for r in by[s]]
        ax.scatter(xs, ys, label=s, s=14, alpha=0.7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("original policy size (IAM characters)")
    ax.set_ylabel("refine + prove time (s)")
    ax.set_title("Time against policy size")
    if ran:
        ax.legend(fontsize="small")
    fig.tight_layout()
    written.append(_save(fig, plt, out / "time.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    totals = [sum(int(r["exposure"]) for r in by[s] if r["exposure"] != "") for s in ran]
    ax.bar(ran, totals)
    ax.set_ylabel("new actions admitted (total over policies)")
    ax.set_title("Future exposure per strategy" if with_exposure
                 else "Future exposure (no older catalog given)")
    fig.tight_layout()
    written.append(_save(fig, plt, out / "exposure.png"))
    return written


def _save(fig, plt, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
