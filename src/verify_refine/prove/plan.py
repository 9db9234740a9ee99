"""The obligations of a refinement as data: each query's text, property, slice and expected
answer (Obligation, Check, Plan), and the index of patterns by literal head that slices them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spec.glob import fold, literal_head
from ..verdict import STRUCTURE, Problem, rule_for
from . import encode as enc


@dataclass(frozen=True)
class Check:
    """How to evaluate one sat variable's value: in lang(origin), under `unsafe`, and of `kind`."""

    var: str  # the constant holding the value in the model, or "" when the value is written in
    origin: str  # the original pattern (Action) or "" (NotAction)
    unsafe: str
    kind: str  # "unused": the value must be unused; "used": a used catalog action not excluded
    value: str | None = None  # a witness written into the query (ground), evaluated as is


@dataclass(frozen=True)
class Obligation:
    """One query: its property, the statement and slice it covers, the text and the answer due."""

    id: str
    property: str
    statement: int  # 0-based index of the original statement
    slice: str
    expected: str  # "unsat" or "sat"
    smt2: str
    ground: tuple[str, ...] = ()  # the ground strings of a ground query, to find a culprit
    checks: tuple[Check, ...] = ()
    # A counterexample lies in some pattern of each group of all_of, and in none of none_of.
    all_of: tuple[tuple[str, ...], ...] = ()
    none_of: tuple[str, ...] = ()
    # Or, for inclusion queries: the counterexample is in some entry and outside its origin.
    differences: tuple[tuple[tuple[str, ...], str], ...] = ()


@dataclass
class Plan:
    """Every obligation, the structure problems found without a solver, and the catalog slice."""

    obligations: list[Obligation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    services: set[str] = field(default_factory=set)


def once(patterns) -> list[str]:
    """Each pattern once, the first of those equal after folding, in the order given."""
    first: dict[str, str] = {}
    for p in patterns:
        first.setdefault(fold(p), p)
    return list(first.values())


def query(body: list[str]) -> str:
    return enc.LOGIC + "".join(line + "\n" for line in body) + "(check-sat)\n"


class PrefixIndex:
    """Patterns by folded literal head: which can match a string, which can meet a service."""

    def __init__(self, patterns):
        self.by_head: dict[str, list[str]] = {}
        for p in once(patterns):
            self.by_head.setdefault(fold(literal_head(p)), []).append(p)
        self.by_service: dict[str, list[str]] = {}
        self.short: list[str] = []  # heads without a full `svc:`
        for head, group in self.by_head.items():
            if ":" in head:
                self.by_service.setdefault(head.split(":", 1)[0], []).extend(group)
            else:
                self.short.extend(group)

    def matching_candidates(self, folded_text: str) -> list[str]:
        """Patterns whose literal head is a prefix of the text: no other can match it."""
        out = []
        for cut in range(len(folded_text) + 1):
            out.extend(self.by_head.get(folded_text[:cut], ()))
        return out

    def near(self, service: str) -> list[str]:
        """Patterns that can hold a string starting with `service:`."""
        start = fold(service) + ":"
        return self.by_service.get(fold(service), []) + [
            p for p in self.short if start.startswith(fold(literal_head(p)))]


def found_without_solver(statement: int | None, message: str, prop: str = STRUCTURE) -> Problem:
    """A problem found without a solver (statement: 0-based, None for the whole policy)."""
    where = f"statement {statement + 1}: " if statement is not None else ""
    return Problem(rule_for(prop), where + message, prop, statement=statement)
