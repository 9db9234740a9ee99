"""AWS managed policies in a batch: refined as a customer managed copy that replaces AWS's for
the principal (as Access Analyzer recommends), or a row saying their document is absent."""

from __future__ import annotations

from ..inputs.account import Task
from .plan import COPY_PATH, copy_name

KIND = "aws-managed"
NO_DOCUMENT = "no-document"  # the verdict of an AWS managed policy the file holds no text of


def absent_row(task: Task) -> dict | None:
    """The row of an AWS managed policy whose document the authorization details do not hold
    (the dump was filtered); None for any other task. Never proved: nothing was refined."""
    if not task.kind.endswith(KIND) or task.document is not None:
        return None
    return {"verdict": NO_DOCUMENT,
            "error": f"{task.problem}; not refined (a dump without --filter holds the "
                     "documents of the AWS managed policies in use)"}


def apply_text(task: Task, verdict: str) -> str:
    """What to do with a proved AWS managed policy, in the words Access Analyzer uses."""
    if task.kind != KIND or verdict not in ("proved", "detach"):
        return ""
    if verdict == "detach":
        return f"detach the AWS managed policy {task.arn} (nothing it grants is used)"
    return (f"create the customer managed policy {COPY_PATH}{copy_name(task)} from the refined "
            f"document, attach it, detach the AWS managed policy {task.arn}")


def refined_lines(table: list[dict]) -> list[str]:
    """summary.md's line on the AWS managed policies refined, when there are any."""
    refined = sum(1 for r in table if r["policy_kind"] == KIND
                  and r["verdict"] in ("proved", "detach"))
    out = []
    if refined:
        out.append(f"{refined} AWS managed polic{'y' if refined == 1 else 'ies'} refined: AWS "
                   "owns them, so each result is a customer managed policy to create and "
                   "attach in place of the AWS managed one, which is detached (see the apply "
                   "column; --plan writes the commands)")
    return out


def notes(table: list[dict]) -> list[str]:
    """A warning on the AWS managed policies that could not be refined for want of text."""
    absent = sum(1 for r in table if r["verdict"] == NO_DOCUMENT)
    out = []
    if absent:
        out.append(f"{absent} AWS managed polic{'y' if absent == 1 else 'ies'} not refined: "
                   "the authorization details hold no document for "
                   f"{'it' if absent == 1 else 'them'} (verdict {NO_DOCUMENT})")
    return out
