"""Unused-permission inputs (Access Analyzer findings, Access Advisor reports, Security Hub
findings, name lists) -> the unused set."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field

from ..errors import InputError
from ..files import read_input
from ..spec.glob import fold
from . import access_advisor, finding_status, securityhub
from .catalog import Catalog
from .jsontext import decode, json_position, parse_json
from .reading import (
    Bad,
    Closed,
    Entry,
    Kept,
    Reading,
    Shape,
    Window,
    keep_recent,
    label,
    service_entry,
    split_name,
)


@dataclass(frozen=True)
class UnusedSet:
    """What the principal did not use: single actions, and whole services (`svc:*`)."""

    actions: tuple[str, ...]  # catalog spelling where known, else as written
    services: tuple[str, ...]  # service prefixes whose every action is unused
    unknown: tuple[str, ...]  # the actions above that are not in the catalog
    # The bytes of the findings file it was read from: the proof kernel reads them again when
    # it reads that format the same way (kernel_reads), else it is given the names.
    source: bytes | None = field(default=None, repr=False, compare=False)
    kernel_reads: bool = field(default=True, repr=False, compare=False)
    window: Window | None = field(default=None, compare=False)  # when the data was taken
    kept: tuple[Kept, ...] = field(default=(), compare=False)  # not unused, and why
    closed: tuple[Closed, ...] = field(default=(), repr=False, compare=False)
    since_days: int | None = field(default=None, compare=False)  # --unused-since, as read
    # The guards applied (inputs/guards.py), and the wholly unused services they spelled out
    # as catalog actions (folded): a certificate's slice holds those services.
    guards: object | None = field(default=None, repr=False, compare=False)
    expanded: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The unused set as patterns: each action, and `svc:*` for each whole service."""
        return self.actions + tuple(f"{svc}:*" for svc in self.services)

    def canonical_json(self) -> bytes:
        """The set as certificates hash it: folded (IAM ignores case), so that it does not
        depend on which catalog spelled the names; with the guards it was made with, when
        there were any, so that the hash binds them too."""
        return self._canonical

    @functools.cached_property
    def _canonical(self) -> bytes:
        data = {"actions": sorted(fold(a) for a in self.actions),
                "services": sorted(fold(s) for s in self.services)}
        if self.guards is not None:
            data["guards"] = self.guards.as_json()
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return self._digest

    @functools.cached_property
    def _digest(self) -> str:
        """The sha256 of canonical_json(): once per set (every policy of a principal, and
        each cache look-up, asks for it)."""
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
        return self.names_bytes()

    def names_bytes(self) -> bytes:
        return json.dumps(list(self.patterns), ensure_ascii=False).encode("utf-8")

    def kernel_bytes(self) -> bytes:
        """What the proof kernel reads: the findings file when the kernel reads its format as
        we do, else (Security Hub's OCSF findings, --unused-since, a set the guards changed)
        the names this set holds."""
        return self.findings_bytes() if self.kernel_reads else self.names_bytes()


def load(path: str, catalog: Catalog, since_days: int | None = None
         ) -> tuple[UnusedSet, list[str]]:
    """Read a findings file (`-`: standard input) in any supported format; returns the unused
    set and warnings. Errors name the file, line and column: of the JSON value at fault, or of
    the text line. With since_days, an action last used within that many days of the data's
    date is kept (--unused-since)."""
    return from_bytes(read_input(path, "findings"), "<stdin>" if path == "-" else path,
                      catalog, since_days)


def from_bytes(data: bytes, path: str, catalog: Catalog, since_days: int | None = None
               ) -> tuple[UnusedSet, list[str]]:
    """The unused set a findings document names (its bytes, and how messages name it)."""
    text = decode(data, path)
    blank = not text.strip()
    is_json = text.lstrip().startswith(("[", "{", '"')) or (blank and path.endswith(".json"))
    try:
        if is_json:
            reading = _read_json(parse_json(data, path), catalog)
        else:
            reading = Reading(entries=_entries_from_text(text, path))
        if since_days is not None:
            keep_recent(reading, since_days)
    except Shape as shape:
        where = json_position(data, path, shape.at) if is_json else ()
        raise InputError(shape.message, path, *where) from None
    except Bad as bad:  # about the whole file, at no one place
        raise InputError(bad.message, path) from None
    if len(reading.resources) > 1:
        raise InputError(f"the findings are about {len(reading.resources)} principals ("
                         + ", ".join(reading.resources[:3]) + ("..." if len(reading.resources)
                                                                > 3 else "")
                         + "): give the findings of one, or run batch, which matches each "
                           "finding to its principal by resource", path)
    unused, warnings = _collect(reading.entries, catalog, path)
    warnings = [f"{path}: {w}" for w in reading.warnings] + warnings
    return dataclasses.replace(unused, source=data, kernel_reads=reading.kernel_reads,
                               window=reading.window, kept=tuple(reading.kept),
                               closed=tuple(reading.closed), since_days=since_days), warnings


def require_open(unused: UnusedSet, path: str, include_resolved: bool,
                 located: bool = True) -> None:
    """A RESOLVED or ARCHIVED finding (or a closed Security Hub one) is bad input at its status
    (when `located`) unless --include-resolved: its actions may have been used since, or be
    meant to stay."""
    finding_status.require_open(unused.closed, path, unused.source if located else None,
                                include_resolved)


def require_something(unused: UnusedSet, path: str, allowed: bool) -> None:
    """One rule for every findings input (an empty list, an empty or comments-only text file,
    a finding with no unused permission): naming nothing unused is bad input, since refining
    by it removes nothing, unless the user said so with --allow-nothing-unused."""
    if not allowed and not unused.actions and not unused.services:
        raise InputError("names nothing unused, so there is nothing to remove (give "
                         "--allow-nothing-unused to go on anyway)", path)


_FORMATS = ('unrecognised findings format: expected a list of {"serviceNamespace", "actions"}, '
            "the output of 'aws accessanalyzer get-finding-v2', 'aws iam "
            "get-service-last-accessed-details' or 'aws securityhub get-findings-v2', or a list "
            "of service:Action names")


def _read_json(value, catalog: Catalog) -> Reading:
    """A JSON findings document, whichever of the formats it is."""
    if finding_status.is_finding_v2(value):
        return finding_status.finding_v2(value)
    if finding_status.is_list_findings(value):
        raise Shape(finding_status.list_findings_message(value), ("findings",))
    if access_advisor.is_report(value):
        return access_advisor.read(value, catalog)
    if access_advisor.is_pages(value):
        return access_advisor.read_pages(value, catalog)
    if securityhub.is_findings(value):
        return securityhub.read(value)
    if isinstance(value, list) and value and finding_status.is_finding_v2(value[0]):
        return finding_status.findings_array(value)
    if isinstance(value, list):
        kind = str if value and isinstance(value[0], str) else dict
        odd = next((i for i, item in enumerate(value) if not isinstance(item, kind)), None)
        if odd is not None:
            raise Shape(f"[{odd}]: {_FORMATS}", (odd,))
        if kind is str:
            return Reading(entries=[_name_entry(item, i) for i, item in enumerate(value)])
        return Reading(entries=[e for i, item in enumerate(value)
                                for e in service_entry(item, (i,))])
    raise Shape(_FORMATS, ())


def _name_entry(item: str, i: int) -> Entry:
    try:
        return Entry(*split_name(item), label((i,)))
    except Bad as bad:
        raise Shape(f"[{i}]: {bad.message}", (i,)) from None


def _entries_from_text(text: str, path: str) -> list[Entry]:
    """One name a line; `#` starts a comment. Lines are counted by '\\n', as the JSON reader
    counts them."""
    out: list[Entry] = []
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.split("#", 1)[0]
        name = content.strip()
        if name:
            try:
                out.append(Entry(*split_name(name), f"line {number}"))
            except Bad as bad:
                column = len(content) - len(content.lstrip()) + 1
                raise InputError(bad.message, path, number, column) from None
    return out


def _collect(entries: list[Entry], catalog: Catalog, path: str) -> tuple[UnusedSet, list[str]]:
    services: dict[str, str] = {}
    actions: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for service, action, where, _ in entries:
        if action is None:
            services.setdefault(fold(service), fold(service))
            if not catalog.has_service(service):
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
