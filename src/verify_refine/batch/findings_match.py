"""Which findings are whose: get-finding-v2 outputs and Security Hub findings matched to a role or
user by resource ARN (several in one file are split), any other findings file by its name."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_input
from ..inputs.account import Principal
from ..inputs.finding_status import by_resource, part_of
from ..inputs.jsontext import parse_json

# Where a principal's findings are: a file, and its own part when the file is about several.
Source = tuple[Path, bytes | None]


def _grouped(path: Path, ignored: list[str]) -> dict[str, list] | None:
    """The file's findings by resource ARN, or None when it is to be matched by its name."""
    try:
        data = read_input(str(path), "findings")
        value = parse_json(data, str(path)) if data.lstrip()[:1] in (b"{", b"[") else None
    except (InputError, OSError):
        return None  # matched by name below; reading it again reports the problem
    groups = by_resource(value)
    if groups is None or list(groups) == [None]:
        return None
    if groups.pop(None, None):
        ignored.append(f"`{path.name}`: a finding in it names no resource, so it is not used")
    if not groups:
        kind = value.get("findingType") if isinstance(value, dict) else None
        ignored.append(f"`{path.name}`: " + (f"findingType {kind} names no unused actions"
                                             if isinstance(kind, str) else
                                             "no unused-permission finding about a principal"))
        return {}
    return {arn: [(path, None if len(groups) == 1 else part_of(value, items))]
            for arn, items in groups.items()}


def match_findings(folder: Path, principals: list[Principal]) -> list[str]:
    """Set each principal's findings: those whose resource is its ARN (from a file about it
    alone, or its part of a file about several), else a file named after it. Returns notes on
    findings that were not used."""
    if not folder.is_dir():
        raise InputError("not a folder of findings files", str(folder))
    by_arn: dict[str, list[Source]] = {}
    by_name: dict[str, list[Path]] = {}
    ignored: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()
                       and not p.name.startswith(".")):
        groups = _grouped(path, ignored)
        if groups is None:
            by_name.setdefault(path.stem, []).append(path)
        for arn, sources in (groups or {}).items():
            by_arn.setdefault(arn, []).extend(sources)
    names: dict[str, list[Principal]] = {}
    for who in principals:
        names.setdefault(who.name, []).append(who)
    arns = {who.arn for who in principals}
    ignored += [f"`{path.name}`: its resource {arn} is no role or user of the account"
                for arn, sources in by_arn.items() if arn not in arns for path, _ in sources]
    ignored += [f"`{p.name}`: no role or user is named {stem}"
                for stem, paths in by_name.items() if stem not in names for p in paths]
    for who in principals:
        sources = by_arn.get(who.arn) or [(p, None) for p in by_name.get(who.name, [])]
        if len(names[who.name]) > 1 and not by_arn.get(who.arn) and sources:
            who.problem = (f"findings file {sources[0][0]} is named after both a role and a "
                           "user; use get-finding-v2 output, matched by ARN")
        elif len(sources) > 1:
            who.problem = ("several findings files: " + ", ".join(str(p) for p, _ in sources)
                           + "; keep one per principal")
        who.findings, who.findings_part = sources[0] if sources else (None, None)
    return ignored


def resources(folder: Path) -> set[str]:
    """The resource ARNs the findings files of FOLDER are about (a file matched by its name
    names none), for a caller that must know its principals' ARNs before matching."""
    if not folder.is_dir():
        raise InputError("not a folder of findings files", str(folder))
    ignored: list[str] = []
    return {arn for path in sorted(folder.iterdir()) if path.is_file()
            and not path.name.startswith(".") for arn in _grouped(path, ignored) or {}}
