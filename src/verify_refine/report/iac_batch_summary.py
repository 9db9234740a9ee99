"""A batch over infrastructure code reported: a row per policy (its file, address, holders,
verdict, entries and size before and after, certificate), summary.md and summary.csv."""

from __future__ import annotations

from ..jsonout import canonical
from . import document, size
from . import summary as report
from .tables import csv_bytes
from .tables import md_cell as _cell

COLUMNS = ("file", "address", "kind", "holders", "findings", "verdict", "entries_before",
           "entries_after", "size_before", "size_after", "written", "certificate", "error")
VERDICTS = ("proved", "detach", "refuted", "unknown", "error")


def blank_row(path: str, address: str, kind: str, holders: list[str]) -> dict:
    """A policy's row before it is refined: every figure empty, verdict error until decided."""
    row = {c: "" for c in COLUMNS}
    row.update(file=path, address=address, kind=kind, holders=" ".join(holders),
               verdict="error")
    return row


def iam_size(doc) -> int:
    """A document's size as IAM counts it: the non-whitespace characters of its JSON."""
    return size.iam_size(canonical(doc).decode("utf-8"))


def fill(row: dict, done) -> None:
    """Set ROW's figures and verdict from a refined (and proved, or not) policy."""
    result = done.refinement
    figures = [report.statement_figures(result, r) for r in result.statements]
    row.update(entries_before=sum(f["entries_before"] for f in figures),
               entries_after=sum(f["entries_after"] for f in figures),
               size_before=iam_size(document.original_document(result.policy)),
               size_after=iam_size(document.refined_document(result)))
    if done.proved:
        row.update(verdict="detach" if result.detach else "proved", error="")
    else:
        row.update(verdict=str(done.verdict),
                   error="; ".join(report.problem_line(p) for p in done.problems))


def line(row: dict) -> str:
    """A row as one line for standard error."""
    text = f"{row['file']}: {row['address']}: {row['verdict']}"
    if row["entries_before"] != "":
        text += f"; entries {row['entries_before']} -> {row['entries_after']}"
    if row["size_after"] != "":
        text += f"; size {row['size_before']} -> {row['size_after']}"
    return text + (f": {row['error']}" if row["error"] else "")


def counts(table: list[dict]) -> dict[str, int]:
    return {v: sum(1 for r in table if r["verdict"] == v) for v in VERDICTS}






def summary_md(table: list[dict], title: str, findings: str, catalog_label: str,
               sections: dict[str, list[str]], in_place: bool) -> str:
    """The markdown summary: the counts, the table, then each non-empty section."""
    shown = ", ".join(f"{n} {v}" for v, n in counts(table).items())
    lines = [f"# verify-refine batch: {title}", "",
             f"Findings: `{findings}`. Catalog: {catalog_label}. {len(table)} policies: "
             f"{shown}.", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in COLUMNS) + " |" for row in table]
    for title_, items in sections.items():
        if items:
            lines += ["", f"## {title_}", ""] + [f"- {item}" for item in items]
    where = "rewritten in place" if in_place else "written as a copy under `source/`"
    lines += ["", f"A source file is {where} only when every policy of it that was refined is "
              "proved; a policy shared by several principals is refined by what every one of "
              "them left unused. A proved policy's certificate re-checks with "
              "`verify-refine check <certificate>`.", ""]
    return "\n".join(lines)


def summary_csv(table: list[dict]) -> bytes:
    return csv_bytes(COLUMNS, table)
