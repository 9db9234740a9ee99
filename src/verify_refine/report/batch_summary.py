"""A batch's results: a row per policy, the notes (shared and oversized policies), and the
summary.md and summary.csv written from them."""

from __future__ import annotations

from pathlib import Path

from ..batch import aws_managed
from ..inputs import groups
from ..inputs.account import Account, Task
from . import size
from .tables import csv_bytes
from .tables import md_cell as _cell
from .usage import SHOWN

COLUMNS = ("principal", "principal_type", "policy", "policy_kind", "files", "entries_before",
           "entries_after", "catalog_actions_removed", "verdict", "size_before", "size_after",
           "error", "apply", "shared_with")
VERDICTS = ("proved", "detach", "refuted", "unknown", "error", aws_managed.NO_DOCUMENT)

def row(task: Task, result: dict) -> dict:
    row = dict(principal=task.principal.name, principal_type=task.principal.kind,
               policy=task.policy, policy_kind=task.kind,
               files=f"{task.principal.folder}/{task.stem}")
    row.update({k: result.get(k, "") for k in COLUMNS if k not in row})
    row["apply"] = aws_managed.apply_text(task, row["verdict"])
    row["shared_with"] = groups.shared_with(task)
    row["_warnings"] = result.get("warnings", [])
    row["_kept"] = result.get("kept") or {}
    return row


def kept_lines(table: list[dict]) -> list[str]:
    """For each policy, one line per reason something it grants was kept (the usage data's
    blind spots and the guards), names shortened as the refine summary does."""
    out = []
    for row in table:
        for reason, names in row["_kept"].items():
            names = sorted(names, key=str.lower)
            more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
            out.append(f"{row['principal_type']} `{row['principal']}`, {row['policy']}: "
                       f"{reason}, kept: {', '.join(names[:SHOWN])}{more}")
    return out


def line(row: dict) -> str:
    text = f"{row['principal_type']} {row['principal']}: {row['policy']} ({row['policy_kind']})" \
           f": {row['verdict']}"
    if row["entries_before"] != "":
        text += f"; entries {row['entries_before']} -> {row['entries_after']}"
    if row["size_after"] != "":
        text += f"; size {row['size_before']} -> {row['size_after']}"
    return text + (f": {row['error']}" if row["error"] else "")


def notes(account: Account, table: list[dict], args) -> list[str]:
    notes = []
    for arn, users in account.shared.items():
        if len(users) > 1:
            notes.append(f"{arn} is attached to {len(users)} principals ({', '.join(users)}): "
                         "each refined copy is proved for its own principal; the shared policy "
                         "may only be replaced by one that keeps what each of them uses")
    inline: dict[tuple[str, str], int] = {}
    for row in table:
        if row["size_after"] == "" or row["verdict"] not in ("proved", "detach"):
            continue
        if row["policy_kind"].endswith("managed"):
            _size_note(notes, f"{row['policy']} ({row['principal']})", row["size_after"],
                       "managed", args.fraction_warning)
        elif row["policy_kind"].startswith(groups.PREFIX):
            _size_note(notes, f"{row['shared_with']}: {row['policy']}", row["size_after"],
                       "group inline", args.fraction_warning)
        else:
            key = (row["principal_type"], row["principal"])
            inline[key] = inline.get(key, 0) + row["size_after"]
    for (kind, name), total in inline.items():
        _size_note(notes, f"{kind} {name}'s inline policies together", total,
                   f"{kind} inline", args.fraction_warning)
    for who in account.principals:
        if who.warnings and who.unused is not None:
            more = f" (and {len(who.warnings) - 1} more)" if len(who.warnings) > 1 else ""
            notes.append(f"{who.warnings[0]}{more}")
    notes += aws_managed.notes(table)
    unknown_names = sum(len(r["_warnings"]) for r in table)
    if unknown_names:
        notes.append(f"{unknown_names} refiner warnings (patterns matching no catalog action, "
                     "kept as written); run `verify-refine refine` on a policy to see them")
    return notes


def _size_note(notes, what, chars, quota, fraction) -> None:
    limit = size.LIMITS[quota]
    if chars > limit:
        notes.append(f"{what}: {chars:,} characters, {chars - limit:,} over IAM's {quota} "
                     f"policy limit of {limit:,}")
    elif fraction is not None and chars >= fraction * limit:
        notes.append(f"{what}: {chars:,} characters, {100 * chars / limit:.0f}% of IAM's "
                     f"{quota} policy limit of {limit:,}")




def counted(counts: dict[str, int]) -> str:
    """`3 proved, 1 detach, 0 refuted, 0 unknown, 0 error`, and the AWS managed policies
    without a document when there are any."""
    return ", ".join(f"{n} {v}" for v, n in counts.items()
                     if n or v != aws_managed.NO_DOCUMENT)




def summary_md(table, args, cat, skipped, ignored, notes, account) -> str:
    counts = {v: sum(1 for r in table if r["verdict"] == v) for v in VERDICTS}
    lines = [f"# verify-refine batch: {Path(args.auth).name}", "",
             f"Findings: `{args.findings}`. Catalog: {cat.label}. "
             f"{len(table)} policies: " + counted(counts) + ".",
             "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in COLUMNS) + " |" for row in table]
    skipped = list(skipped)
    skipped += [f"{who.kind} `{who.name}`: AWS-managed `{arn}` (--skip-aws-managed)"
                for who, arn in account.aws_managed]
    if account.groups:
        count = f"{account.groups} group" + ("s" if account.groups > 1 else "")
        skipped.append(f"{count}: not refined as groups (Access Analyzer reports unused "
                       "permissions per role and user): a member user's group policies are "
                       "refined for that user, rows of kind group-..., shared_with naming the "
                       "group's other members; --plan applies none of them")
    for title, items in (("Skipped", skipped), ("Kept", kept_lines(table)),
                         ("AWS managed policies", aws_managed.refined_lines(table)),
                         ("Findings files not used", ignored), ("Notes", notes)):
        if items:
            lines += ["", f"## {title}", ""] + [f"- {item}" for item in items]
    lines += ["", "A policy's files are `<files>.original.json`, `.refined.json` and "
              "`.cert.json` in this folder; a proved one's certificate re-checks with "
              "`verify-refine check <files>.cert.json`.", ""]
    return "\n".join(lines)


def summary_csv(table: list[dict]) -> bytes:
    return csv_bytes(COLUMNS, table)
