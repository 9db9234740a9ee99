"""An AWS account as `aws iam get-account-authorization-details` prints it: its roles and users,
and the inline and attached policies each one has."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..errors import InputError
from ..jsonout import dumps_remembered
from .findings import UnusedSet
from .groups import add_group_tasks
from .jsontext import parse_json
from .model import Number
from .wrappers import document_text_bytes

AWS_MANAGED = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/")  # any partition
SKIP_TAG = "verify-refine:skip"  # a role or user tagged so is left alone by batch

@dataclass
class Principal:
    name: str
    kind: str  # role or user
    arn: str
    folder: str = ""  # its folder under OUTDIR
    findings: Path | None = None
    findings_part: bytes | None = None  # its own findings, when the file is about several
    unused: UnusedSet | None = None
    unused_path: str = ""
    problem: str = ""  # why its findings cannot be used
    warnings: list[str] = field(default_factory=list)  # from reading its findings
    skip: bool = False  # tagged verify-refine:skip

    @property
    def selected(self) -> bool:
        """Does batch refine its policies (or report why it cannot)?"""
        return not self.skip and (self.findings is not None or bool(self.problem))


@dataclass
class Task:
    """One (principal, policy) pair to refine; `document` is None when it could not be read."""

    principal: Principal
    policy: str
    kind: str  # inline, managed, or aws-managed
    document: bytes | None
    problem: str = ""
    stem: str = ""
    arn: str = ""  # a managed policy's ARN
    versions: tuple[Version, ...] = ()  # a managed policy's versions, as the file lists them
    attachments: int | None = None  # its AttachmentCount (roles, users and groups)
    boundaries: int | None = None  # its PermissionsBoundaryUsageCount
    group: str = ""  # the group a user has this policy through (kind group-...)
    members: tuple[str, ...] = ()  # that group's other member users


class Version(NamedTuple):
    """One version of a managed policy: its id, whether it is the default, when made."""

    id: str
    default: bool
    created: str | None


@dataclass
class Account:
    principals: list[Principal] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    aws_managed: list[tuple[Principal, str]] = field(default_factory=list)
    groups: int = 0
    shared: dict[str, list[str]] = field(default_factory=dict)  # managed ARN -> principals


def read_account(data: bytes, source: str) -> Account:
    """Roles and users with their inline and attached managed policies, in the file's order."""
    value = parse_json(data, source)
    lists = ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")
    if not isinstance(value, dict) or not any(k in value for k in lists):
        raise InputError("not 'aws iam get-account-authorization-details' output (none of "
                         + ", ".join(lists) + ")", source)
    for key in lists:
        if not isinstance(value.get(key, []), list):
            raise InputError(f"{key}: expected a list", source)
    managed = {}
    for i, pol in enumerate(value.get("Policies", [])):
        if isinstance(pol, dict) and isinstance(pol.get("Arn"), str):
            managed[pol["Arn"]] = (i, pol)
    account = Account(groups=len(value.get("GroupDetailList", [])))
    for list_key, kind, name_key, inline_key in (
            ("RoleDetailList", "role", "RoleName", "RolePolicyList"),
            ("UserDetailList", "user", "UserName", "UserPolicyList")):
        for i, item in enumerate(value.get(list_key, [])):
            where = f"{list_key}[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get(name_key), str) \
                    or not isinstance(item.get("Arn"), str):
                raise InputError(f"{where}: expected an object with {name_key} and Arn", source)
            who = Principal(item[name_key], kind, item["Arn"], skip=_tagged_skip(item))
            account.principals.append(who)
            for task in holder_tasks(who, item, inline_key, where, managed, source):
                if task.kind == "aws-managed":
                    account.aws_managed.append((who, task.arn))
                elif task.kind == "managed":
                    account.shared.setdefault(task.arn, []).append(f"{kind} {who.name}")
                account.tasks.append(task)
    add_group_tasks(value, account, managed, source)
    return account


def holder_tasks(who, item: dict, inline_key: str, where: str, managed: dict,
                 source: str) -> list[Task]:
    """The tasks of a role's, user's or group's entry: its inline policies (INLINE_KEY) and
    attached managed policies (MANAGED: ARN -> (index, Policies entry)), in that order."""
    tasks = []
    for j, pol in enumerate(item.get(inline_key) or []):
        at = f"{where}.{inline_key}[{j}]"
        name = pol.get("PolicyName") if isinstance(pol, dict) else None
        if not isinstance(name, str):
            raise InputError(f"{at}: expected an object with PolicyName", source)
        tasks.append(_task(who, name, "inline", pol.get("PolicyDocument"), source,
                           f"{at}.PolicyDocument"))
    for j, att in enumerate(item.get("AttachedManagedPolicies") or []):
        arn = att.get("PolicyArn") if isinstance(att, dict) else None
        if not isinstance(arn, str):
            raise InputError(f"{where}.AttachedManagedPolicies[{j}]: expected an object with "
                             "PolicyArn", source)
        tasks.append(_managed_task(who, arn, att.get("PolicyName"), managed.get(arn), source,
                                   bool(AWS_MANAGED.match(arn))))
    return tasks


def _tagged_skip(item: dict) -> bool:
    """Is the principal tagged verify-refine:skip (with any value)?"""
    tags = item.get("Tags")
    return isinstance(tags, list) and any(isinstance(t, dict) and t.get("Key") == SKIP_TAG
                                          for t in tags)


def _task(who, name, kind, document, source, where) -> Task:
    if isinstance(document, dict):
        return Task(who, name, kind, _document_bytes(document))
    if isinstance(document, str):
        try:
            return Task(who, name, kind, document_text_bytes(document, source, where))
        except InputError as exc:
            return Task(who, name, kind, None, str(exc))
    return Task(who, name, kind, None,
                f"{source}: {where}: expected a policy document (an object or a string)")


_TEXTS: dict[int, tuple[dict, bytes]] = {}  # id(document) -> (document, its text)


def _document_bytes(document: dict) -> bytes:
    """A policy document as the text a task refines: once per document object (a managed
    policy's is shared by every principal it is attached to)."""
    known = _TEXTS.get(id(document))
    if known is None or known[0] is not document:
        known = _TEXTS[id(document)] = (document,
                                         (dumps_remembered(document) + "\n").encode("utf-8"))
        while len(_TEXTS) > 1 << 17:  # documents an organization holds, alive anyway
            del _TEXTS[next(iter(_TEXTS))]
    return known[1]


def _managed_task(who, arn, name, found, source, aws: bool) -> Task:
    """A managed policy's task (kind `aws-managed` for one AWS owns), with what a plan needs
    to apply its refinement: ARN, versions, attachment and boundary counts."""
    task = _managed_document(who, arn, name, found, source,
                             "aws-managed" if aws else "managed")
    pol = found[1] if found else {}
    versions = pol.get("PolicyVersionList")
    task.arn = arn
    task.versions = tuple(
        Version(v["VersionId"], v.get("IsDefaultVersion") is True
                or v["VersionId"] == pol.get("DefaultVersionId"),
                v.get("CreateDate") if isinstance(v.get("CreateDate"), str) else None)
        for v in (versions if isinstance(versions, list) else [])
        if isinstance(v, dict) and isinstance(v.get("VersionId"), str))
    task.attachments = _count(pol.get("AttachmentCount"))
    task.boundaries = _count(pol.get("PermissionsBoundaryUsageCount"))
    return task


def _count(value) -> int | None:
    """A whole number as the file writes it (a JSON number), or None."""
    text = value.text if isinstance(value, Number) else None
    return int(text) if text is not None and text.isdigit() else None


def _managed_document(who, arn, name, found, source, kind) -> Task:
    name = name if isinstance(name, str) else arn.rsplit("/", 1)[-1]
    if found is None:
        return Task(who, name, kind, None,
                    f"{source}: {arn} is attached but not in Policies (was the file made "
                    "with --filter LocalManagedPolicy?)")
    i, pol = found
    versions = pol.get("PolicyVersionList") or []
    default = next((v for v in versions if isinstance(v, dict) and v.get("IsDefaultVersion")),
                   None) or next((v for v in versions if isinstance(v, dict)
                                  and v.get("VersionId") == pol.get("DefaultVersionId")), None)
    if default is None:
        return Task(who, name, kind, None,
                    f"{source}: Policies[{i}] ({arn}) has no default version document")
    k = versions.index(default)
    return _task(who, name, kind, default.get("Document"), source,
                 f"Policies[{i}].PolicyVersionList[{k}].Document")
