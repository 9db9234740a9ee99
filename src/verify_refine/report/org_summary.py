"""An organization's summary, built from each account's summary.csv on disk: a line per account
(principals, verdicts, catalog actions removed, policies over IAM's size limits), the totals, and
the most over-privileged principals; written as summary.md, summary.csv and summary.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..files import finishing, write_atomically
from . import size
from .tables import csv_bytes
from .tables import md_cell as _cell

VERDICTS = ("proved", "detach", "refuted", "unknown", "error", "no-document")
COUNTS = ("principals", "policies", *VERDICTS, "catalog_actions_removed", "over_size_limit")
COLUMNS = ("account", *COUNTS, "summary", "note")
TOP = 10  # principals listed as the most over-privileged
APPLIED = ("proved", "detach")


def read_rows(folder: Path) -> list[dict] | None:
    """An account's summary.csv rows, or None when it has none (not run)."""
    try:
        text = (folder / "summary.csv").read_text(encoding="utf-8")
    except OSError:
        return None
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _number(value: str) -> int:
    return int(value) if value.isdigit() else 0


def over_size_limit(rows: list[dict]) -> int:
    """Proved results that IAM would refuse: a managed policy over the managed quota, and a
    principal whose inline policies together are over its inline quota."""
    over = 0
    inline: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["verdict"] not in APPLIED or not row["size_after"].isdigit():
            continue
        if row["policy_kind"].endswith("managed"):
            over += int(row["size_after"]) > size.LIMITS["managed"]
        elif row["policy_kind"].startswith("group-"):
            over += int(row["size_after"]) > size.LIMITS["group inline"]
        else:
            key = (row["principal_type"], row["principal"])
            inline[key] = inline.get(key, 0) + int(row["size_after"])
    return over + sum(total > size.LIMITS[f"{kind} inline"] for (kind, _), total in inline.items())


def account_line(label: str, folder: Path, rows: list[dict], note: str) -> dict:
    """One account's figures."""
    line = {"account": label, "principals": len({(r["principal_type"], r["principal"])
                                                  for r in rows}),
            "policies": len(rows)}
    line.update({v: sum(1 for r in rows if r["verdict"] == v) for v in VERDICTS})
    line["catalog_actions_removed"] = sum(_number(r["catalog_actions_removed"]) for r in rows
                                          if r["verdict"] in APPLIED)
    line["over_size_limit"] = over_size_limit(rows)
    line["summary"] = f"{label}/summary.md" if (folder / "summary.md").is_file() else ""
    line["note"] = note
    return line


def principals(label: str, rows: list[dict]) -> list[dict]:
    """Each principal's catalog actions removed (over its proved policies)."""
    out: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["principal_type"], row["principal"])
        entry = out.setdefault(key, {"account": label, "principal_type": key[0],
                                     "principal": key[1], "policies": 0,
                                     "catalog_actions_removed": 0})
        entry["policies"] += 1
        if row["verdict"] in APPLIED:
            entry["catalog_actions_removed"] += _number(row["catalog_actions_removed"])
    return list(out.values())


def build(found, notes: dict[str, str]) -> dict:
    """The organization's figures from OUTDIR/<account>/summary.csv of each account."""
    accounts, everyone = [], []
    for item in found:
        folder = Path(item.output)
        rows = read_rows(folder)
        note = notes.get(item.label, "" if rows is not None else "no summary written")
        accounts.append(account_line(item.label, folder, rows or [], note))
        everyone += principals(item.label, rows or [])
    total = {k: sum(a[k] for a in accounts) for k in COUNTS}
    everyone.sort(key=lambda p: (-p["catalog_actions_removed"], p["account"], p["principal"]))
    top = [p for p in everyone if p["catalog_actions_removed"] > 0][:TOP]
    return {"accounts": accounts, "total": total, "most_over_privileged": top, "notes": []}






def summary_md(org: dict) -> str:
    """The accounts' table, the most over-privileged principals, and the notes."""
    total = org["total"]
    lines = ["# verify-refine batch: an organization", "",
             f"{len(org['accounts'])} accounts, {total['principals']} principals, "
             f"{total['policies']} policies: "
             + ", ".join(f"{total[v]} {v}" for v in VERDICTS) + f"; "
             f"{total['catalog_actions_removed']} catalog actions removed; "
             f"{total['over_size_limit']} over IAM's size limits.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for line in [*org["accounts"], {"account": "**total**", **total, "summary": "",
                                    "note": ""}]:
        lines.append("| " + " | ".join(_cell(line[c]) for c in COLUMNS) + " |")
    if org["most_over_privileged"]:
        lines += ["", "## Most over-privileged principals", "",
                  "Catalog actions removed from the principal's proved policies.", "",
                  "| account | principal | type | catalog actions removed | policies |",
                  "|---|---|---|---|---|"]
        lines += [f"| {p['account']} | {_cell(p['principal'])} | {p['principal_type']} | "
                  f"{p['catalog_actions_removed']} | {p['policies']} |"
                  for p in org["most_over_privileged"]]
    if org["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in org["notes"]]
    lines += ["", "Each account's folder holds its summary.md and summary.csv (a row per "
              "policy) and its policies' files.", ""]
    return "\n".join(lines)


def write(org: dict, outdir: Path) -> list[Path]:
    """summary.md, summary.csv and summary.json in OUTDIR."""
    paths = [outdir / f"summary.{ext}" for ext in ("md", "csv", "json")]
    with finishing():
        write_atomically(str(paths[0]), summary_md(org))
        write_atomically(str(paths[1]), summary_csv(org))
        write_atomically(str(paths[2]), json.dumps(org, indent=1, ensure_ascii=False) + "\n")
    return paths


def line(org: dict) -> str:
    """The run's last line on stdout."""
    total = org["total"]
    return (f"batch: {len(org['accounts'])} accounts, {total['principals']} principals, "
            f"{total['policies']} policies: " + ", ".join(f"{total[v]} {v}" for v in VERDICTS)
            + f"; {total['catalog_actions_removed']} catalog actions removed")


def summary_csv(org: dict) -> bytes:
    """A row per account (RFC 4180, CRLF), then the total."""
    total = {"account": "total", **org["total"], "summary": "", "note": ""}
    return csv_bytes(COLUMNS, [*org["accounts"], total])
