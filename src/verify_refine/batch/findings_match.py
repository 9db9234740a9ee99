"""Which findings file is whose: get-finding-v2 output matched to a role or user by its resource
ARN, any other findings file by its name."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_input
from ..inputs.account import Principal
from ..inputs.jsontext import parse_json


def match_findings(folder: Path, principals: list[Principal]) -> list[str]:
    """Set each principal's findings file: a get-finding-v2 file whose resource is its ARN,
    else a file named after it. Returns notes on files that were not used."""
    if not folder.is_dir():
        raise InputError("not a folder of findings files", str(folder))
    by_arn: dict[str, list[Path]] = {}
    by_name: dict[str, list[Path]] = {}
    ignored = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()
                       and not p.name.startswith(".")):
        value = None
        try:
            data = read_input(str(path), "findings")
            if data.lstrip().startswith(b"{"):
                value = parse_json(data, str(path))
        except (InputError, OSError):
            pass  # matched by name below; reading it again reports the problem
        if isinstance(value, dict) and "findingDetails" in value:
            kind = value.get("findingType", "UnusedPermission")
            if kind != "UnusedPermission":
                ignored.append(f"`{path.name}`: findingType {kind} names no unused actions")
                continue
            if isinstance(value.get("resource"), str):
                by_arn.setdefault(value["resource"], []).append(path)
                continue
        by_name.setdefault(path.stem, []).append(path)
    names = {}
    for who in principals:
        names.setdefault(who.name, []).append(who)
    arns = {who.arn for who in principals}
    for arn, paths in by_arn.items():
        if arn not in arns:
            ignored.extend(f"`{p.name}`: its resource {arn} is no role or user of the account"
                           for p in paths)
    for stem, paths in by_name.items():
        if stem not in names:
            ignored.extend(f"`{p.name}`: no role or user is named {stem}" for p in paths)
    for who in principals:
        paths = by_arn.get(who.arn) or by_name.get(who.name, [])
        if len(names[who.name]) > 1 and not by_arn.get(who.arn) and paths:
            who.problem = (f"findings file {paths[0]} is named after both a role and a user; "
                           "use get-finding-v2 output, matched by ARN")
        elif len(paths) > 1:
            who.problem = ("several findings files: " + ", ".join(str(p) for p in paths)
                           + "; keep one per principal")
        who.findings = paths[0] if paths else None
    return ignored
