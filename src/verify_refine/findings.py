"""Unused-permission inputs (Access Analyzer findings, name lists) -> the unused set."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog
from .errors import InputError
from .glob import fold, has_wildcard


@dataclass(frozen=True)
class UnusedSet:
    """What the principal did not use: single actions, and whole services (`svc:*`)."""

    actions: tuple[str, ...]  # catalog spelling where known, else as written
    services: tuple[str, ...]  # service prefixes whose every action is unused
    unknown: tuple[str, ...]  # the actions above that are not in the catalog

    @property
    def patterns(self) -> tuple[str, ...]:
        """The unused set as patterns: each action, and `svc:*` for each whole service."""
        return self.actions + tuple(f"{svc}:*" for svc in self.services)

    def canonical_json(self) -> bytes:
        data = {"actions": sorted(self.actions, key=fold), "services": sorted(self.services)}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()


def load(path: str, catalog: Catalog, parse_json) -> tuple[UnusedSet, list[str]]:
    """Read a findings file in any supported format; returns the unused set and warnings."""
    data = _read(Path(path))
    text = data.decode("utf-8-sig", errors="replace")
    if text.lstrip().startswith(("[", "{")):
        value = parse_json(data, path)
        entries = _entries_from_json(value, path)
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})", path) from None
        entries = _entries_from_text(text, path)
    return _collect(entries, catalog, path)


def _read(path: Path) -> bytes:
    if path.is_dir():
        raise InputError("is a directory; expected a findings file", str(path))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from None


# An entry is (service, action or None for the whole service, where it was found).
Entry = tuple[str, str | None, str]


def _entries_from_json(value, path: str) -> list[Entry]:
    if isinstance(value, dict) and "findingDetails" in value:
        return _from_finding_v2(value, path)
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return [_split_name(item, path, f"[{i}]") for i, item in enumerate(value)]
        if all(isinstance(item, dict) for item in value):
            out: list[Entry] = []
            for i, item in enumerate(value):
                out.extend(_from_service_entry(item, path, f"[{i}]"))
            return out
    raise InputError("unrecognised findings format: expected a list of "
                     '{"serviceNamespace", "actions"}, the output of '
                     "'aws accessanalyzer get-finding-v2', or a list of service:Action names",
                     path)


def _from_finding_v2(value: dict, path: str) -> list[Entry]:
    details = value["findingDetails"]
    if not isinstance(details, list):
        raise InputError("findingDetails: expected a list", path)
    out: list[Entry] = []
    for i, detail in enumerate(details):
        where = f"findingDetails[{i}]"
        if not isinstance(detail, dict):
            raise InputError(f"{where}: expected an object", path)
        unused = detail.get("unusedPermissionDetails")
        if unused is None:
            continue  # other kinds of finding detail carry no unused permissions
        out.extend(_from_service_entry(unused, path, f"{where}.unusedPermissionDetails"))
    if not out:
        kind = value.get("findingType", "this finding")
        raise InputError(f"{kind} lists no unusedPermissionDetails: nothing to remove "
                         "(only UnusedPermission findings name unused actions)", path)
    return out


def _from_service_entry(item, path: str, where: str) -> list[Entry]:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object", path)
    service = item.get("serviceNamespace")
    if not isinstance(service, str) or not service or has_wildcard(service) or ":" in service:
        raise InputError(f"{where}.serviceNamespace: expected a service prefix such as \"s3\"",
                         path)
    actions = item.get("actions")
    if actions is None or actions == []:
        return [(service, None, where)]
    if not isinstance(actions, list):
        raise InputError(f"{where}.actions: expected a list", path)
    out: list[Entry] = []
    for j, action in enumerate(actions):
        at = f"{where}.actions[{j}]"
        if isinstance(action, dict):  # get-finding-v2: {"action": "GetObject", "lastAccessed": ...}
            action = action.get("action")
            at += ".action"
        if not isinstance(action, str) or not action:
            raise InputError(f"{at}: expected an action name", path)
        if ":" in action:
            svc, name, _ = _split_name(action, path, at)
            if fold(svc) != fold(service):
                raise InputError(f'{at}: "{action}" is not in service "{service}"', path)
            action = name
        _check_name(action, path, at)
        out.append((service, action, at))
    return out


def _entries_from_text(text: str, path: str) -> list[Entry]:
    out: list[Entry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if name:
            svc, action, _ = _split_name(name, path, f"line {number}")
            out.append((svc, action, f"line {number}"))
    return out


def _split_name(name, path: str, where: str) -> Entry:
    """`svc:Action` -> (svc, Action); `svc:*` -> (svc, None): the whole service."""
    if not isinstance(name, str) or name.count(":") != 1:
        raise InputError(f"{where}: expected service:Action, got {json.dumps(name)}", path)
    service, action = name.split(":")
    if not service or has_wildcard(service):
        raise InputError(f"{where}: expected service:Action, got {json.dumps(name)}", path)
    if action == "*":
        return (service, None, where)
    _check_name(action, path, where)
    return (service, action, where)


def _check_name(action: str, path: str, where: str) -> None:
    if has_wildcard(action) or not action:
        raise InputError(f'{where}: "{action}": unused actions are names, not patterns '
                         "(a whole service is svc:*)", path)
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in action):
        raise InputError(f'{where}: "{action}" is not an action name '
                         "(letters, digits, '-', '_', '.')", path)


def _collect(entries: list[Entry], catalog: Catalog, path: str) -> tuple[UnusedSet, list[str]]:
    services: dict[str, str] = {}
    actions: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for service, action, where in entries:
        if action is None:
            services.setdefault(fold(service), service.lower())
            if not any(fold(s) == fold(service) for s in catalog.services):
                warnings.append(f"{path}: {where}: service \"{service}\" is not in the catalog "
                                f"({catalog.label}); it still counts as unused")
            continue
        full = f"{service}:{action}"
        known = catalog.canonical(full)
        if known is None:
            unknown.append(full)
            warnings.append(f"{path}: {where}: \"{full}\" is not in the catalog "
                            f"({catalog.label}); it still counts as unused")
        actions.setdefault(fold(full), known or full)
    covered = {fold(a) for a in actions if fold(a).split(":")[0] in services}
    kept = tuple(a for key, a in actions.items() if key not in covered)
    return (UnusedSet(actions=kept, services=tuple(services.values()),
                      unknown=tuple(u for u in unknown if fold(u) not in covered)),
            warnings)
