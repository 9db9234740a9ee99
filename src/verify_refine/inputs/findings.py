"""Unused-permission inputs (Access Analyzer findings, name lists) -> the unused set."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field

from ..errors import InputError
from ..files import read_input
from ..spec.alphabet import name_problem, service_problem
from ..spec.glob import fold, has_wildcard
from .catalog import Catalog
from .jsontext import decode, json_position, parse_json, quote


@dataclass(frozen=True)
class UnusedSet:
    """What the principal did not use: single actions, and whole services (`svc:*`)."""

    actions: tuple[str, ...]  # catalog spelling where known, else as written
    services: tuple[str, ...]  # service prefixes whose every action is unused
    unknown: tuple[str, ...]  # the actions above that are not in the catalog
    # The bytes of the findings file it was read from: the proof kernel reads them again.
    source: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The unused set as patterns: each action, and `svc:*` for each whole service."""
        return self.actions + tuple(f"{svc}:*" for svc in self.services)

    def canonical_json(self) -> bytes:
        """The set as certificates hash it: folded (IAM ignores case), so that it does not
        depend on which catalog spelled the names."""
        data = {"actions": sorted(fold(a) for a in self.actions),
                "services": sorted(fold(s) for s in self.services)}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    @functools.cached_property
    def _folded(self) -> tuple[frozenset[str], frozenset[str]]:
        return (frozenset(fold(a) for a in self.actions),
                frozenset(fold(s) for s in self.services))

    def is_unused(self, action: str) -> bool:
        """Is an action name unused: listed, or of a service wholly unused? (The proof kernel
        keeps its own copy of this test.)"""
        names, services = self._folded
        folded = fold(action)
        return folded in names or folded.split(":", 1)[0] in services

    def findings_bytes(self) -> bytes:
        """The findings file this set was read from; for a set built in code, a list of
        `svc:Action` and `svc:*` names that says the same."""
        if self.source is not None:
            return self.source
        return json.dumps(list(self.patterns), ensure_ascii=False).encode("utf-8")


def load(path: str, catalog: Catalog) -> tuple[UnusedSet, list[str]]:
    """Read a findings file (`-`: standard input) in any supported format; returns the unused
    set and warnings. Errors name the file, line and column: of the JSON value at fault, or of
    the text line."""
    return from_bytes(read_input(path, "findings"), "<stdin>" if path == "-" else path,
                      catalog)


def from_bytes(data: bytes, path: str, catalog: Catalog) -> tuple[UnusedSet, list[str]]:
    """The unused set a findings document names (its bytes, and how messages name it)."""
    text = decode(data, path)
    blank = not text.strip()
    if text.lstrip().startswith(("[", "{", '"')) or (blank and path.endswith(".json")):
        value = parse_json(data, path)
        try:
            entries = _entries_from_json(value)
        except _Shape as shape:
            raise InputError(shape.message, path, *json_position(data, path, shape.at)) from None
    else:
        entries = _entries_from_text(text, path)
    unused, warnings = _collect(entries, catalog, path)
    return dataclasses.replace(unused, source=data), warnings


def require_something(unused: UnusedSet, path: str, allowed: bool) -> None:
    """One rule for every findings input (an empty list, an empty or comments-only text file,
    a finding with no unused permission): naming nothing unused is bad input, since refining
    by it removes nothing, unless the user said so with --allow-nothing-unused."""
    if not allowed and not unused.actions and not unused.services:
        raise InputError("names nothing unused, so there is nothing to remove (give "
                         "--allow-nothing-unused to go on anyway)", path)


class _Bad(Exception):
    """A name that is not an unused action; the caller says where it stands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Shape(Exception):
    """A JSON findings file of the wrong shape: the message and the JSON path of the value."""

    def __init__(self, message: str, at: tuple):
        super().__init__(message)
        self.message = message
        self.at = at


# An entry is (service, action or None for the whole service, where it was found).
Entry = tuple[str, str | None, str]

_FORMATS = ('unrecognised findings format: expected a list of {"serviceNamespace", "actions"}, '
            "the output of 'aws accessanalyzer get-finding-v2', or a list of service:Action "
            "names")


def _label(at: tuple) -> str:
    """A JSON path as messages write it: findingDetails[0].unusedPermissionDetails.actions[2]."""
    out = ""
    for step in at:
        out += f"[{step}]" if isinstance(step, int) else f".{step}" if out else step
    return out


def _entries_from_json(value) -> list[Entry]:
    if isinstance(value, dict) and "findingDetails" in value:
        return _from_finding_v2(value)
    if isinstance(value, list):
        kind = str if value and isinstance(value[0], str) else dict
        odd = next((i for i, item in enumerate(value) if not isinstance(item, kind)), None)
        if odd is not None:
            raise _Shape(f"[{odd}]: {_FORMATS}", (odd,))
        if kind is str:
            out = []
            for i, item in enumerate(value):
                try:
                    out.append((*_split_name(item), _label((i,))))
                except _Bad as bad:
                    raise _Shape(f"[{i}]: {bad.message}", (i,)) from None
            return out
        return [entry for i, item in enumerate(value) for entry in _from_service_entry(item, (i,))]
    raise _Shape(_FORMATS, ())


def _from_finding_v2(value: dict) -> list[Entry]:
    details = value["findingDetails"]
    if not isinstance(details, list):
        raise _Shape("findingDetails: expected a list", ("findingDetails",))
    out: list[Entry] = []
    for i, detail in enumerate(details):
        at = ("findingDetails", i)
        if not isinstance(detail, dict):
            raise _Shape(f"{_label(at)}: expected an object", at)
        unused = detail.get("unusedPermissionDetails")
        if unused is None:
            continue  # other kinds of finding detail carry no unused permissions
        out.extend(_from_service_entry(unused, (*at, "unusedPermissionDetails")))
    kind = value.get("findingType", "UnusedPermission")
    if not out and kind != "UnusedPermission":
        what = f"findingType {quote(kind)}" if isinstance(kind, str) else "this finding"
        raise _Shape(f"{what} lists no unusedPermissionDetails: nothing to remove (only "
                     "UnusedPermission findings name unused actions)", ("findingType",))
    return out


def _from_service_entry(item, at: tuple) -> list[Entry]:
    if not isinstance(item, dict):
        raise _Shape(f"{_label(at)}: expected an object", at)
    service = item.get("serviceNamespace")
    here = (*at, "serviceNamespace")
    if not isinstance(service, str) or not service or has_wildcard(service) or ":" in service:
        raise _Shape(f'{_label(here)}: expected a service prefix such as "s3"', here)
    problem = service_problem(service)
    if problem:
        raise _Shape(f"{_label(here)}: {quote(service)} {problem}", here)
    actions = item.get("actions")
    if actions is None or actions == []:
        return [(service, None, _label(at))]
    if not isinstance(actions, list):
        here = (*at, "actions")
        raise _Shape(f"{_label(here)}: expected a list", here)
    out: list[Entry] = []
    for j, action in enumerate(actions):
        here = (*at, "actions", j)
        if isinstance(action, dict):  # get-finding-v2: {"action": "GetObject", "lastAccessed": ...}
            action = action.get("action")
            here = (*here, "action")
        if not isinstance(action, str) or not action:
            raise _Shape(f"{_label(here)}: expected an action name", here)
        try:
            if ":" in action:
                svc, name = _split_name(action)
                if fold(svc) != fold(service):
                    raise _Bad(f"{quote(action)} is not in service {quote(service)}")
                action = name
            _check_name(action)
        except _Bad as bad:
            raise _Shape(f"{_label(here)}: {bad.message}", here) from None
        out.append((service, action, _label(here)))
    return out


def _entries_from_text(text: str, path: str) -> list[Entry]:
    """One name a line; `#` starts a comment. Lines are counted by '\\n', as the JSON reader
    counts them."""
    out: list[Entry] = []
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.split("#", 1)[0]
        name = content.strip()
        if name:
            try:
                out.append((*_split_name(name), f"line {number}"))
            except _Bad as bad:
                column = len(content) - len(content.lstrip()) + 1
                raise InputError(bad.message, path, number, column) from None
    return out


def _split_name(name: str) -> tuple[str, str | None]:
    """`svc:Action` -> (svc, Action); `svc:*` -> (svc, None): the whole service."""
    if name.count(":") != 1:
        raise _Bad(f"expected service:Action, got {quote(name)}")
    service, action = name.split(":")
    if not service or has_wildcard(service):
        raise _Bad(f"expected service:Action, got {quote(name)}")
    problem = service_problem(service)
    if problem:
        raise _Bad(f"{quote(name)}: the service prefix {quote(service)} {problem}")
    if action == "*":
        return (service, None)
    _check_name(action)
    return (service, action)


def _check_name(action: str) -> None:
    if has_wildcard(action) or not action:
        raise _Bad(f"{quote(action)}: unused actions are names, not patterns "
                   "(a whole service is svc:*)")
    problem = name_problem(action)
    if problem:
        raise _Bad(f"{quote(action)} {problem}")


def _collect(entries: list[Entry], catalog: Catalog, path: str) -> tuple[UnusedSet, list[str]]:
    services: dict[str, str] = {}
    actions: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for service, action, where in entries:
        if action is None:
            services.setdefault(fold(service), fold(service))
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
