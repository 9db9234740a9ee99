"""`batch --plan`: the AWS CLI commands that would apply a batch's proved results, written as a
shell script for a person to review and run. verify-refine never calls AWS.

Per result: an inline policy is put again (or deleted when nothing is left); a customer managed
policy gets a new default version (after deleting its oldest non-default version when IAM's
five are taken), or is detached; an AWS managed policy is replaced for the principal by a
customer managed copy of its refinement (created, attached, then AWS's detached). A customer
managed policy attached more than once (AttachmentCount counts roles, users and groups) or used
as a permissions boundary is shared: a new version would change it for all, while the proof is
for one principal, so its commands are written commented out under a warning.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shlex
from pathlib import Path

from ..errors import escape
from ..inputs.account import Task, Version
from ..inputs.reading import parse_time

PLAN = "plan.sh"
VERSIONS_MAX = 5  # IAM keeps at most five versions of a managed policy
NAME_MAX = 128  # IAM's longest policy name
COPY_PATH = "/verify-refine/"


def comment(text: str) -> str:
    """A comment line: every character that is not printable (a line break) escaped, so that
    a name from the account file can never end the comment and start a command."""
    return "# " + "".join(ch if ch.isprintable() else escape(ch) for ch in text)


def aws(*args: str) -> str:
    """One `aws iam` command, every argument shell-quoted."""
    return " ".join(["aws", "iam", *(shlex.quote(a) for a in args)])


def script(results: list[tuple[Task, dict]], outdir: Path, header: list[str]) -> str:
    """The plan for a batch's results (task and row, in summary order)."""
    lines = ["#!/bin/sh", *(comment(h) for h in header),
             comment("Nothing here has been run. Review each command before running it; the "
                     "refined documents are read from beside this file."),
             "set -eu", 'cd -- "$(dirname -- "$0")"']
    for task, row in results:
        lines += ["", *for_task(task, row, outdir)]
    return "\n".join(lines) + "\n"


def for_task(task: Task, row: dict, outdir: Path) -> list[str]:
    """The comment naming a result, then the commands that apply it (none when not proved)."""
    who = task.principal
    head = f"{who.kind} {who.name}: {task.policy} ({task.kind}): {row['verdict']}"
    if row["verdict"] not in ("proved", "detach"):
        return [comment(f"{head}: nothing to apply")]
    if task.group:  # its refinement is proved for this user, and would change it for all
        others = f"{len(task.members)} other users" if task.members else "no other user"
        return [comment(f"{head}: a policy of group {task.group} ({others}): proved for this "
                        "user only, nothing to apply")]
    odd = next((ch for name in (who.name, task.policy, task.arn) for ch in name
                if not ch.isprintable()), None)
    if odd is not None:  # no IAM name holds one; a command would span lines
        return [comment(f"{head}: a name holds {escape(odd)}, which no IAM name does: "
                        "nothing to apply")]
    relative = f"{who.folder}/{task.stem}.refined.json"
    try:
        refined, original = (json.loads((outdir / who.folder / f"{task.stem}.{kind}.json")
                                        .read_text(encoding="utf-8"))
                             for kind in ("refined", "original"))
    except (OSError, ValueError):
        return [comment(f"{head}: its refined policy {relative} cannot be read: nothing to "
                        "apply")]
    if refined == original:
        return [comment(f"{head}: unchanged, nothing to apply")]
    document = f"file://{relative}"
    who_args = (f"--{who.kind}-name", who.name)
    lines = [comment(head)]
    if refined.get("Statement"):
        if row["verdict"] == "detach":
            lines.append(comment("it grants nothing now, but its Deny statements still deny: "
                                 "the refined document keeps them"))
    elif task.kind == "inline":
        return lines + [aws(f"delete-{who.kind}-policy", *who_args, "--policy-name",
                            task.policy)]
    else:
        return lines + [aws(f"detach-{who.kind}-policy", *who_args, "--policy-arn", task.arn)]
    if task.kind == "inline":
        return lines + [aws(f"put-{who.kind}-policy", *who_args, "--policy-name", task.policy,
                            "--policy-document", document)]
    if task.kind == "aws-managed":
        return lines + aws_managed_copy(task, who_args, document)
    return lines + new_version(task, document)


def aws_managed_copy(task: Task, who_args: tuple[str, str], document: str) -> list[str]:
    """AWS owns the policy: a customer managed copy of the refinement takes its place for this
    principal (attached before AWS's is detached, so no request is refused in between)."""
    name = copy_name(task)
    create = aws("create-policy", "--policy-name", name, "--path", COPY_PATH,
                 "--policy-document", document, "--query", "Policy.Arn", "--output", "text")
    kind = task.principal.kind
    return [comment(f"AWS owns {task.arn}: a customer managed copy of its refinement, "
                    f"{COPY_PATH}{name}, replaces it for this {kind}"),
            f"arn=$({create})",
            aws(f"attach-{kind}-policy", *who_args, "--policy-arn") + ' "$arn"',
            aws(f"detach-{kind}-policy", *who_args, "--policy-arn", task.arn)]


def copy_name(task: Task) -> str:
    """`<policy>-<principal>`; past IAM's 128 characters, a prefix and 12 hex digits of the
    SHA-256 of the full name."""
    name = f"{task.policy}-{task.principal.name}"
    if len(name) <= NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{name[:NAME_MAX - 13]}-{digest}"


def new_version(task: Task, document: str) -> list[str]:
    """A customer managed policy: its refinement as the new default version, after deleting the
    oldest non-default version when five exist; commented out under a warning when shared."""
    commands = []
    if len(task.versions) >= VERSIONS_MAX:
        old = oldest(task.versions)
        if old is not None:
            commands.append(aws("delete-policy-version", "--policy-arn", task.arn,
                                "--version-id", old.id))
    commands.append(aws("create-policy-version", "--policy-arn", task.arn, "--policy-document",
                        document, "--set-as-default"))
    warnings = shared_warnings(task)
    if not warnings:
        return commands
    return warnings + [f"# {command}" for command in commands]


def oldest(versions: tuple[Version, ...]) -> Version | None:
    """The non-default version made first (by CreateDate, then by its number)."""
    latest = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)

    def key(v: Version):
        number = v.id.lstrip("vV")
        return (parse_time(v.created) or latest, int(number) if number.isdigit() else 0, v.id)

    candidates = [v for v in versions if not v.default]
    return min(candidates, key=key) if candidates else None


def shared_warnings(task: Task) -> list[str]:
    """Why a new version of this policy would change more than the principal it is proved for."""
    who = f"{task.principal.kind} {task.principal.name}"
    out = []
    if task.attachments is not None and task.attachments > 1:
        out.append(comment(f"warning: {task.arn} is attached {task.attachments} times "
                           "(AttachmentCount, groups included): a new default version changes "
                           f"it for every role, user and group it is attached to, and it is "
                           f"proved for {who} only"))
    if task.boundaries:
        out.append(comment(f"warning: {task.arn} is the permissions boundary of "
                           f"{task.boundaries} principals (PermissionsBoundaryUsageCount): a new "
                           "default version changes their boundary too"))
    if out:
        out.append(comment("the commands are commented out: run them only once the refinement "
                           "suits every one of them"))
    return out
