"""Guards against removing what usage data cannot see: the built-in keep list, `--keep` patterns
and `--keep-sid` statements, subtracted from an unused set before anything is refined or proved.

What a guard keeps leaves the unused set and joins its `kept` names with the reason. A wholly
unused service that a guard may touch is spelled out as its catalog actions first (`expanded`),
so that the set stays a set of names and whole services; its strings outside the catalog are
then no longer unused, which only keeps more. Whether a service is spelled out depends on the
guards alone, never on the catalog, so that `check` spells out the same services over the
certificate's slice (which holds every one of them).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import re._parser as sre_parse  # the parse tree, to refuse regular expressions that backtrack
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import InputError
from ..spec.alphabet import pattern_problem
from ..spec.glob import fold, states_after
from ..spec.languages import fast_match
from . import keep_list
from .catalog import Catalog
from .findings import UnusedSet
from .jsontext import quote
from .model import Policy
from .reading import Kept

SID_MAX = 256  # longer Sids are refused under --keep-sid: the match stays fast (see below)
REGEX_MAX = 200
UNBOUNDED_MAX = 2  # unbounded repeats in a --keep-sid expression


class GuardError(InputError):
    """Guards that cannot be applied: a recorded keep list this tool does not have, or a Sid
    too long for --keep-sid. `at`: the certificate field at fault."""

    at: tuple = ("guards", "keep_sid")


@dataclass(frozen=True)
class Guards:
    """The guards a refinement is made with, as a certificate records them."""

    keep: tuple[str, ...] = ()  # --keep patterns, as given
    keep_sid: str | None = None  # --keep-sid expression
    builtin_version: int = keep_list.VERSION
    builtin_sha256: str = field(default_factory=keep_list.digest)

    def as_json(self) -> dict:
        return {"builtin": {"version": self.builtin_version, "sha256": self.builtin_sha256},
                "keep": list(self.keep), "keep_sid": self.keep_sid}

    def stale(self) -> str | None:
        """Why the built-in list these guards name is not this tool's, or None."""
        if (self.builtin_version, self.builtin_sha256) == (keep_list.VERSION,
                                                           keep_list.digest()):
            return None
        return (f"the certificate was made with the built-in keep list version "
                f"{self.builtin_version} (sha256 {self.builtin_sha256[:12]}), and this tool has "
                f"version {keep_list.VERSION} (sha256 {keep_list.digest()[:12]}): run "
                "`verify-refine recertify` to prove it again with today's list")


def from_json(value) -> Guards:
    """Guards as a certificate records them; ValueError naming the field when malformed."""
    if not isinstance(value, dict) or not isinstance(value.get("builtin"), dict) \
            or not {"keep", "keep_sid"} <= set(value):
        raise ValueError("guards must be an object with builtin, keep and keep_sid")
    builtin, keep, sid = value["builtin"], value.get("keep"), value.get("keep_sid")
    if type(builtin.get("version")) is not int or not isinstance(builtin.get("sha256"), str):
        raise ValueError("guards.builtin must hold an integer version and a sha256")
    if not isinstance(keep, list) or not all(isinstance(k, str) and not pattern_problem(k)
                                             for k in keep):
        raise ValueError("guards.keep must be a list of action patterns")
    if sid is not None and (not isinstance(sid, str) or regex_problem(sid)):
        raise ValueError("guards.keep_sid must be null or a regular expression --keep-sid "
                         "accepts")
    return Guards(tuple(keep), sid, builtin["version"], builtin["sha256"])


def regex_problem(text: str) -> str | None:
    """Why a --keep-sid expression is refused, or None. Python's matcher backtracks, so an
    expression that repeats a repetition or an alternation, refers back to a group or looks
    around can take exponential time, and several unbounded repeats a high power of the Sid's
    length; the gate checks certificates written by others, so neither is accepted."""
    if len(text) > REGEX_MAX:
        return f"is longer than {REGEX_MAX} characters"
    try:
        tree = sre_parse.parse(text)
    except re.error as exc:
        return f"is not a regular expression: {exc}"
    found: list[str] = []
    unbounded = _walk(tree, False, found)
    if found:
        return found[0]
    if unbounded > UNBOUNDED_MAX:
        return f"has {unbounded} unbounded repeats (at most {UNBOUNDED_MAX})"
    return None


_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT}
_REFUSED = {sre_parse.GROUPREF: "refers back to a group", sre_parse.GROUPREF_EXISTS:
            "refers back to a group", sre_parse.ASSERT: "looks around",
            sre_parse.ASSERT_NOT: "looks around"}


def _walk(tree, in_repeat: bool, found: list[str]) -> int:
    """The unbounded repeats of a parse tree; what makes it refused is appended to `found`."""
    count = 0
    for op, av in tree:
        if op in _REFUSED:
            found.append(_REFUSED[op])
        elif op in _REPEATS:
            if in_repeat:
                found.append("repeats something that repeats")
            count += (av[1] == sre_parse.MAXREPEAT) + _walk(av[2], True, found)
        elif op is sre_parse.BRANCH:
            if in_repeat:
                found.append("repeats an alternation")
            count += sum(_walk(branch, in_repeat, found) for branch in av[1])
        elif op is sre_parse.SUBPATTERN:
            count += _walk(av[3], in_repeat, found)
        elif op is sre_parse.ATOMIC_GROUP:
            count += _walk(av, in_repeat, found)
    return count


class _Keeper(NamedTuple):
    """One guard: the patterns it keeps (all but those for a NotAction statement), and why."""

    reason: str
    patterns: tuple[str, ...]
    negated: bool = False

    def keeps(self, name: str) -> bool:
        folded = fold(name)  # glob.matches, in linear time (languages.fast_match)
        return any(fast_match(p, folded) for p in self.patterns) != self.negated

    def meets(self, service: str) -> bool:
        """Can it keep some string of the service? (A NotAction statement: assume so.)"""
        return self.negated or any(states_after(p, service + ":") for p in self.patterns)


def _keepers(guards: Guards, policy: Policy) -> list[_Keeper]:
    out = [_Keeper(f"{e.reason} (built-in keep list: {e.source})", (e.action,))
           for e in keep_list.ENTRIES]
    out += [_Keeper(f"--keep {p}", (p,)) for p in guards.keep]
    if guards.keep_sid is None:
        return out
    regex = re.compile(guards.keep_sid)
    for stmt in policy.statements:
        sid = stmt.sid if isinstance(stmt.sid, str) else None
        if sid is None or stmt.effect != "Allow" or stmt.action_key is None:
            continue
        if len(sid) > SID_MAX:
            raise GuardError(f"statement {stmt.index + 1} has a Sid of {len(sid):,} characters; "
                             f"--keep-sid reads Sids of at most {SID_MAX}", policy.source,
                             *((stmt.span.line, stmt.span.column) if stmt.span else ()))
        if regex.search(sid):
            out.append(_Keeper(f"granted by statement {quote(sid)}, which --keep-sid "
                               f"{guards.keep_sid} leaves as written",
                               tuple(p.text for p in stmt.patterns),
                               stmt.action_key == "NotAction"))
    return out


def apply(unused: UnusedSet, guards: Guards | None, policy: Policy,
          catalog: Catalog) -> UnusedSet:
    """The unused set with everything the guards keep taken out (and recorded in `kept`), for
    refining POLICY over CATALOG; the set itself when there are no guards. When something was
    taken out, the proof kernel is handed the names (our guard code is then trusted)."""
    if guards is None or unused.guards == guards:  # none, or applied already
        return unused
    problem = guards.stale()
    if problem:
        error = GuardError(problem)
        error.at = ("guards", "builtin")
        raise error
    if guards.keep_sid is None:  # the same for every policy of a principal
        memo_key = (id(unused), id(catalog), guards)
        known = _APPLIED.get(memo_key)
        if known is None or known[0] is not unused or known[1] is not catalog:
            known = _APPLIED[memo_key] = (unused, catalog, _apply(unused, guards, policy,
                                                                  catalog))
            while len(_APPLIED) > MEMO_SIZE:
                del _APPLIED[next(iter(_APPLIED))]
        return known[2]
    return _apply(unused, guards, policy, catalog)


@functools.lru_cache(maxsize=8)
def _reasons(guards: Guards):
    """Why guards without --keep-sid (the same for every policy) keep a name, None when they
    do not: remembered by name, as the principals of a batch share most of their unused names."""
    keepers = _keepers(guards, None)
    return functools.lru_cache(maxsize=1 << 16)(lambda name: _reason(keepers, name))


def _reason(keepers, name: str) -> str | None:
    """Why the first of KEEPERS that keeps a name keeps it (None: none does)."""
    return next((k.reason for k in keepers if k.keeps(name)), None)


MEMO_SIZE = 64
# (id(unused), id(catalog), guards) -> (unused, catalog, result): what apply computed lately
# without --keep-sid, the objects held so that their ids are not reused while remembered
_APPLIED: dict[tuple, tuple] = {}


def _apply(unused: UnusedSet, guards: Guards, policy: Policy | None,
           catalog: Catalog) -> UnusedSet:
    """apply, computed."""
    keepers = _keepers(guards, policy)
    why = _reasons(guards) if guards.keep_sid is None else (
        lambda name: _reason(keepers, name))
    kept: list[Kept] = []
    actions: dict[str, str] = {}

    def take(name: str) -> None:
        reason = why(name)
        if reason is not None:
            kept.append(Kept(name, reason))
        else:
            actions.setdefault(fold(name), name)

    for name in unused.actions:
        take(name)
    services, expanded = [], []
    for service in unused.services:
        if not any(k.meets(service) for k in keepers):
            services.append(service)
            continue
        expanded.append(fold(service))
        for folded in catalog.with_prefix(fold(service) + ":"):
            take(catalog.canonical(folded) or folded)
    changed = bool(kept or expanded)
    return dataclasses.replace(
        unused, actions=tuple(actions.values()), services=tuple(services),
        unknown=tuple(u for u in unused.unknown if fold(u) in actions),
        kernel_reads=unused.kernel_reads and not changed, kept=unused.kept + tuple(kept),
        guards=guards, expanded=tuple(expanded))
