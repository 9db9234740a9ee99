"""Run a plan of obligations through a solver; evaluate witnesses; re-check counterexamples; give a verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..glob import fold, matches
from .obligations import Obligation, Plan
from .solver import SAT, UNKNOWN, UNSAT, solve

PROVED, REFUTED, UNKNOWN_VERDICT = "proved", "refuted", "unknown"


@dataclass(frozen=True)
class Outcome:
    """One obligation's result: what the solver said, and whether that is what was due."""

    obligation: Obligation
    obtained: str
    seconds: float
    holds: bool
    witness: dict[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass
class Proof:
    """The verdict over a whole plan, with every outcome and the first failure."""

    verdict: str
    outcomes: list[Outcome]
    problems: list[str]
    failure: Outcome | None = None
    seconds: float = 0.0

    def by_property(self) -> dict[str, tuple[int, int]]:
        """For each property: (obligations that hold, obligations in all)."""
        out: dict[str, tuple[int, int]] = {}
        for o in self.outcomes:
            held, total = out.get(o.obligation.property, (0, 0))
            out[o.obligation.property] = (held + o.holds, total + 1)
        return out


def counterexample(ob: Obligation, value: str) -> bool:
    """Does a string really refute the obligation? Decided with the reference matcher only."""
    if ob.differences:
        return any(any(matches(e, value) for e in entries) and not matches(origin, value)
                   for entries, origin in ob.differences)
    return (all(any(matches(p, value) for p in group) for group in ob.all_of)
            and not any(matches(p, value) for p in ob.none_of))


def culprit(ob: Obligation, model: dict[str, str]) -> str | None:
    """A concrete action string that refutes an unsat-expected obligation, re-checked."""
    candidates = [model["x"]] if "x" in model else list(ob.ground)
    return next((c for c in candidates if counterexample(ob, c)), None)


def witness_problem(ob: Obligation, model: dict[str, str], unused_names: set[str],
                    unused_services: set[str], catalog_has) -> str | None:
    """Evaluate each witness of a sat obligation; None when every one is what it claims."""
    for check in ob.checks:
        value = check.value if check.value is not None else model.get(check.var)
        if value is None:
            return f"no value for {check.var}"
        folded = fold(value)
        if not folded.startswith(fold(check.unsafe)):
            return f"witness {value!r} does not start with {check.unsafe!r}"
        unused = folded in unused_names or folded.split(":", 1)[0] in unused_services
        if check.kind == "unused":
            if not matches(check.origin, value) or not unused:
                return f"witness {value!r} is not an unused action inside {check.origin!r}"
        elif unused or not catalog_has(value):
            return f"witness {value!r} is not a used catalog action"
    return None


def judge(ob: Obligation, status: str, model: dict[str, str], seconds: float,
          unused_names, unused_services, catalog_has) -> Outcome:
    if status == UNKNOWN:
        return Outcome(ob, status, seconds, False, {}, "solver returned unknown or timed out")
    if ob.expected == UNSAT:
        if status == UNSAT:
            return Outcome(ob, status, seconds, True)
        value = culprit(ob, model)
        if value is None:  # the solver's model does not re-check: do not trust either way
            return Outcome(ob, UNKNOWN, seconds, False, model,
                           "counterexample from the solver does not re-check")
        return Outcome(ob, status, seconds, False, {"x": value}, f"counterexample {value}")
    if status != SAT:
        return Outcome(ob, status, seconds, False, {}, "no witness exists")
    problem = witness_problem(ob, model, unused_names, unused_services, catalog_has)
    if problem:
        return Outcome(ob, status, seconds, False, model, problem)
    return Outcome(ob, status, seconds, True, model)


def run(plan: Plan, unused, catalog, timeout_s: float, solver: str = "z3") -> Proof:
    """Solve every obligation; the verdict is proved only when each one holds."""
    start = time.perf_counter()
    names = {fold(a) for a in unused.actions}
    services = {fold(s) for s in unused.services}
    has = lambda action: catalog.canonical(action) is not None  # noqa: E731
    if plan.problems:
        return Proof(REFUTED, [], list(plan.problems), None, time.perf_counter() - start)
    outcomes, failure = [], None
    for ob in plan.obligations:
        verdict = solve(ob.smt2, timeout_s, solver)
        outcome = judge(ob, verdict.status, verdict.model, verdict.seconds, names, services,
                        has)
        outcomes.append(outcome)
        if not outcome.holds and (failure is None or (failure.obtained == UNKNOWN
                                                      and outcome.obtained != UNKNOWN)):
            failure = outcome
    if failure is None:
        verdict = PROVED
    else:
        verdict = UNKNOWN_VERDICT if failure.obtained == UNKNOWN else REFUTED
    return Proof(verdict, outcomes, [], failure, time.perf_counter() - start)
