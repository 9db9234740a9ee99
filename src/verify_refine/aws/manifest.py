"""`manifest.json` of a pulled folder: what was fetched, from where, when, with how many calls,
and which principals failed or were not reached."""

from __future__ import annotations

from .. import __version__
from .fetch import Fetched, Job

FORMAT, VERSION = "verify-refine/pull-manifest", 1
AUTH_FILE = "authorization-details.json"


def principal_row(job: Job, fetched: Fetched | None, files: list[str]) -> dict:
    """One principal's entry: its status (fetched, nothing unused, failed, not fetched)."""
    row = {"arn": job.who.arn, "kind": job.who.kind, "name": job.who.name}
    if fetched is None:
        return {**row, "status": "not fetched", "reason": "interrupted"}
    row.update(status=fetched.status, fetched_at=fetched.fetched_at, counts=fetched.counts,
               files=files, calls=dict(sorted(fetched.calls.items())))
    if fetched.error:
        row["error"] = fetched.error
    if fetched.notes:
        row["notes"] = fetched.notes
    return row


def build(head: dict, rows: list[dict], calls: list[dict], finished_at: str,
          interrupted: bool) -> dict:
    """The manifest: HEAD (source, account, region, analyzer, options, start time and the
    authorization details' entry) then the principals, the calls and the totals."""
    statuses = [r["status"] for r in rows]
    return {"format": FORMAT, "version": VERSION, "tool": f"verify-refine {__version__}",
            **head, "finished_at": finished_at, "interrupted": interrupted,
            "totals": {s: statuses.count(s) for s in
                       ("fetched", "nothing unused", "failed", "not fetched")},
            "principals": rows, "calls": calls}
