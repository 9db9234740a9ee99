"""removed.png: a bar per account of the catalog actions its proved refinements removed (matplotlib
Agg backend); skipped with a note when matplotlib is not installed."""

from __future__ import annotations

import io
from pathlib import Path

from ..files import write_atomically

ABSENT = ("removed.png not drawn: matplotlib is not installed (pip install 'matplotlib>=3.8', "
          "or pip install 'verify-refine[compare]')")


def available() -> bool:
    """Can matplotlib be imported here?"""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write(org: dict, path: Path) -> Path | None:
    """Draw the picture into PATH (written whole or not at all); None without matplotlib."""
    if not available():
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    accounts = org["accounts"]
    labels = [a["account"] for a in accounts]
    removed = [a["catalog_actions_removed"] for a in accounts]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(accounts) + 2), 4))
    bars = ax.bar(range(len(labels)), removed, color="#4c72b0")
    ax.bar_label(bars, fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 4 else 0,
                  ha="right" if len(labels) > 4 else "center", fontsize=8)
    ax.set_ylabel("catalog actions removed")
    ax.set_title(f"Permissions removed per account ({sum(removed):,} in all, proved)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomically(str(path), buffer.getvalue())
    return path
