"""What a whole-policy verification reports: its queries, its result, and the explanations."""

from __future__ import annotations

from dataclasses import dataclass

from ...verdict import COMPLETE, REMOVES, SOUND, Verdict
from .model import Group

PROPERTIES = (SOUND, REMOVES, COMPLETE)  # the properties `verify` decides
PROVED, REFUTED, UNKNOWN = Verdict.PROVED, Verdict.REFUTED, Verdict.UNKNOWN


@dataclass(frozen=True)
class QueryRecord:
    """One standalone SMT-LIB2 query: what it proves, its text, and what the solver said."""

    property: str  # sound, removes or complete
    slice: str  # which part of the property this query covers
    expected: str  # "unsat"
    smt: str  # standalone SMT-LIB2 text ending in (check-sat)
    status: str  # sat, unsat or unknown
    seconds: float
    reason: str = ""  # why the solver said unknown
    actions: tuple[str, ...] = ()  # finite slices: the actions this query stands for


@dataclass(frozen=True)
class VerifyResult:
    """proved, refuted (with a re-checked counterexample) or unknown (naming the query)."""

    status: Verdict
    queries: tuple[QueryRecord, ...]
    property: str | None = None
    action: str | None = None
    resource: str | None = None
    explanation: str = ""
    conditions: tuple[tuple[str, bool], ...] = ()  # relevant condition contexts and values


class CounterexampleError(RuntimeError):
    """The solver's counterexample did not survive re-checking by evaluation: a bug."""


def describe(g: Group) -> str:
    """The group as a slice names it: `ORIGINAL Allow statements #0,#2`."""
    numbers = ",".join(f"#{s.index}" for s in g.members)
    return f"{g.policy.upper()} {g.effect} statement{'s' if len(g.members) > 1 else ''} {numbers}"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def explain(prop, action, resource, conditions) -> str:
    res = f'resource "{resource}"'
    if prop == SOUND:
        line = f"sound: REFINED allows {action} on {res}, which ORIGINAL does not allow"
    elif prop == REMOVES:
        line = f"removes: REFINED still allows the unused action {action} on {res}"
    else:
        line = f"complete: ORIGINAL allows {action} on {res} (a used catalog action), " \
               "which REFINED no longer allows"
    if conditions:
        line += " when " + ", ".join(f"condition context {_short(c)} is "
                                     f"{'true' if v else 'false'}" for c, v in conditions)
    return line
