"""The gate's text and JSON reports, and how they show paths, exclusions and counts."""

from __future__ import annotations

import os
from pathlib import Path

from .. import __version__
from ..gate.walk import Exclusion, key

REPORT_FORMAT = "verify-refine/gate-report"
REPORT_VERSION = 1


def display(path: str) -> str:
    """A path as the report shows it: relative to the current directory when under it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else Path(relative).as_posix()


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def header(root: str, exclusions: list[Exclusion]) -> list[tuple[str, str]]:
    """The notes every report starts with: the root, and what each --exclude kept out."""
    return [("note", f"root: {root}")] + [
        ("note", f"excluded by --exclude {e.glob!r}: {count(len(e.files), 'file')} not checked "
                 f"({count(len(e.certificates), 'certificate')}, "
                 f"{count(len(e.required), 'required file')})") for e in exclusions]


def exclusion_rows(exclusions: list[Exclusion]) -> list[dict]:
    return [{"glob": e.glob, "files": len(e.files), "certificates": len(e.certificates),
             "required": len(e.required)} for e in exclusions]


def text(findings, summary: dict, head, notes, warn_only: bool = False) -> str:
    """The root and exclusions, one line per problem, the other notes, and the summary."""
    lines = [note for _, note in head]
    lines += [f"{display(f.file)}:{f.line}:{f.column}: {f.level(warn_only)}: {f.rule}: "
              f"{f.message}"
              + (f" [certificate {display(f.certificate)}]"
                 if f.certificate and key(f.certificate) != key(f.file) else "")
              for f in findings]
    lines += [note for _, note in notes]
    line = (f"{count(summary['certificates'], 'certificate')} checked, "
            f"{summary['valid']} valid, {summary['failed']} failed, "
            f"{count(summary['required'], 'required file')}, {summary['uncovered']} uncovered")
    if summary["unknown"]:
        line += f", {summary['unknown']} unknown"
    if summary.get("unchanged"):
        line += f", {summary['unchanged']} unchanged (--changed: not checked)"
    if summary["warn_only"] and summary["status"] in ("fail", "unknown"):
        line += f" ({summary['status']}; --warn-only: exit 0)"
    lines.append(line)
    return "\n".join(lines) + "\n"


def json_document(outcomes, required_rows, findings, summary: dict, notes, root: str,
                  exclusions: list[Exclusion], warn_only: bool = False) -> dict:
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "tool": {"name": "verify-refine", "version": __version__},
        "root": root,
        "exclusions": exclusion_rows(exclusions),
        "results": [{"rule": f.rule, "level": f.level(warn_only), "file": display(f.file),
                     "line": f.line, "column": f.column, "message": f.message,
                     "certificate": display(f.certificate) if f.certificate else None}
                    for f in findings],
        "certificates": [{"path": display(o.path), "status": o.status,
                          "refined": display(o.refined) if o.refined else None,
                          "obligations": o.obligations} for o in outcomes],
        "required": [{"path": display(path),
                      "covered_by": display(valid.path) if valid else None,
                      "named_by": [display(o.path) for o in named]}
                     for path, valid, named in required_rows],
        "notes": [note for _, note in notes],
        "summary": summary,
    }
