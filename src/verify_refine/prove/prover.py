"""Run a plan of obligations through a solver; evaluate witnesses; re-check counterexamples; give a verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..spec.glob import fold, matches
from ..verdict import Problem, Verdict, rule_for, worst
from .plan import Obligation, Plan
from .solver import SAT, UNKNOWN, UNSAT, solve

PROVED, REFUTED, UNKNOWN_VERDICT = Verdict.PROVED, Verdict.REFUTED, Verdict.UNKNOWN


@dataclass(frozen=True)
class Outcome:
    """One obligation's result: what the solver said, and whether that is what was due."""

    obligation: Obligation
    obtained: str
    seconds: float
    holds: bool
    witness: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    def problem(self, catalog=None) -> Problem | None:
        """Why the obligation does not hold, or None when it does: refuted with a re-checked
        counterexample (in the catalog's spelling when it is a catalog action), or unknown."""
        if self.holds:
            return None
        ob = self.obligation
        undecided = self.obtained == UNKNOWN
        value = None if undecided else self.witness.get("x")
        reason = self.reason
        if value is not None and catalog is not None and catalog.canonical(value):
            value = catalog.canonical(value)
            reason = f"counterexample {value}"
        verdict = Verdict.UNKNOWN if undecided else Verdict.REFUTED
        return Problem(rule_for(ob.property, verdict), f"statement {ob.statement + 1} "
                       f"(obligation {ob.id}): {reason}", ob.property, verdict, ob.statement,
                       ob.id, value)


@dataclass
class Proof:
    """The verdict over a whole plan, with every outcome and the first failure. `problems`
    are those found without a solver (structure, minimality hints)."""

    verdict: Verdict
    outcomes: list[Outcome]
    problems: list[Problem]
    failure: Outcome | None = None
    seconds: float = 0.0

    def all_problems(self, catalog=None) -> list[Problem]:
        """Every reason the plan is not proved: structure problems, then each obligation
        that does not hold, refutations before unknowns."""
        failed = [p for o in self.outcomes if (p := o.problem(catalog)) is not None]
        return list(self.problems) + sorted(failed, key=lambda p: p.verdict)

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


def witness_problem(ob: Obligation, model: dict[str, str], unused, catalog_has) -> str | None:
    """Evaluate each witness of a sat obligation; None when every one is what it claims."""
    for check in ob.checks:
        value = check.value if check.value is not None else model.get(check.var)
        if value is None:
            return f"no value for {check.var}"
        folded = fold(value)
        if not folded.startswith(fold(check.unsafe)):
            return f"witness {value!r} does not start with {check.unsafe!r}"
        is_unused = unused.is_unused(folded)
        if check.kind == "unused":
            if not matches(check.origin, value) or not is_unused:
                return f"witness {value!r} is not an unused action inside {check.origin!r}"
        elif is_unused or not catalog_has(value):
            return f"witness {value!r} is not a used catalog action"
    return None


def judge(ob: Obligation, status: str, model: dict[str, str], seconds: float, unused,
          catalog_has) -> Outcome:
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
    problem = witness_problem(ob, model, unused, catalog_has)
    if problem:
        return Outcome(ob, status, seconds, False, model, problem)
    return Outcome(ob, status, seconds, True, model)


def run(plan: Plan, unused, catalog, timeout_s: float, solver: str = "z3") -> Proof:
    """Solve every obligation; the verdict is proved only when each one holds."""
    start = time.perf_counter()
    has = lambda action: catalog.canonical(action) is not None  # noqa: E731
    if plan.problems:
        return Proof(REFUTED, [], list(plan.problems), None, time.perf_counter() - start)
    outcomes, failure = [], None
    for ob in plan.obligations:
        verdict = solve(ob.smt2, timeout_s, solver)
        outcome = judge(ob, verdict.status, verdict.model, verdict.seconds, unused, has)
        outcomes.append(outcome)
        if not outcome.holds and (failure is None or (failure.obtained == UNKNOWN
                                                      and outcome.obtained != UNKNOWN)):
            failure = outcome
    verdict = worst(UNKNOWN_VERDICT if o.obtained == UNKNOWN else REFUTED
                    for o in outcomes if not o.holds)
    return Proof(verdict, outcomes, [], failure, time.perf_counter() - start)


# The fields of a recorded obligation that the files give again, exactly.
REGENERATED = ("id", "property", "statement", "slice", "expected", "smt2")


def replay(plan: Plan, records: list, unused, catalog, timeout_s: float,
           solver: str = "z3") -> tuple[list[Problem], int]:
    """Obtain again the answers a certificate records for the plan's obligations: each record
    must be the very obligation the files give, its answer the expected one; an unsat answer
    is re-solved, a sat one's witness evaluated (not searched for). Returns the problems and
    how many obligations were re-checked."""
    has = lambda action: catalog.canonical(action) is not None  # noqa: E731
    problems, count = [], 0
    for ob, rec in zip(plan.obligations, records):
        count += 1
        wrong = _record_problem(ob, rec)
        if wrong:
            problems.append(Problem("VR-certificate", f"{ob.id}: {wrong}", ob.property,
                                    statement=ob.statement, obligation=ob.id))
            continue
        if ob.expected == UNSAT:
            answer = solve(ob.smt2, timeout_s, solver)
            outcome = judge(ob, answer.status, answer.model, answer.seconds, unused, has)
        else:  # a witness is checked by evaluation, not by search
            witness = rec.get("witness") if isinstance(rec.get("witness"), dict) else {}
            wanted = {check.var for check in ob.checks if check.var}
            problem = witness_problem(ob, witness, unused, has) or (
                None if set(witness) == wanted else
                f"the witness names {sorted(witness)}, the query declares {sorted(wanted)}")
            outcome = Outcome(ob, ob.expected, 0.0, problem is None, witness, problem or "")
        found = outcome.problem(catalog)
        if found is not None:
            problems.append(found)
    return problems, count


def _record_problem(ob: Obligation, rec) -> str | None:
    """Why a recorded obligation is not the one the files give, or None."""
    if not isinstance(rec, dict):
        return "not an obligation record"
    if any(rec.get(key) != getattr(ob, key) for key in REGENERATED):
        return "the recorded obligation differs from the one the files give"
    if rec.get("obtained") != ob.expected:
        return f"recorded answer {rec.get('obtained')!r}, expected {ob.expected!r}"
    if ob.expected == UNSAT and rec.get("witness") is not None:
        return "a witness is recorded for a query with no solution"
    return None
