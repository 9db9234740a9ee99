"""The hunt: a mutant's outputs that differ from the correct refiner's, and who rejects them."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field

from verify_refine import pipeline
from verify_refine.inputs.policy import parse_policy
from verify_refine.prove.whole import CounterexampleError
from verify_refine.testing.mutants.cases import Case
from verify_refine.testing.mutants.mutant import Mutant
from verify_refine.verdict import Verdict


@dataclass(frozen=True)
class Output:
    text: str  # the refined policy as the CLI writes it
    hints: dict

    @property
    def key(self) -> str:
        return self.text + json.dumps(self.hints, sort_keys=True)


def refined_output(case: Case) -> Output:
    """What `verify-refine refine` would write and hint, through the pipeline's refine step
    and the refiner as installed now."""
    original = parse_policy(case.policy, "policy.json")
    done = pipeline.refine_and_prove(original, case.unused, case.catalog, prove=False)
    return Output(done.text, done.hints)


def prove(case: Case, out: Output, timeout_s: float = 10.0) -> pipeline.Proving:
    """The pipeline's verdict on an output: the obligations, then the proof kernel."""
    original = parse_policy(case.policy, "policy.json")
    refined = parse_policy(out.text.encode(), "refined.json", allow_empty=True)
    return pipeline.prove_refinement(original, refined, out.hints, case.unused, case.catalog,
                                     timeout_s=timeout_s)


def refuted_by(proof: pipeline.Proving) -> tuple[str, str] | None:
    """(property, reason) of a refutation, or None when the proof holds or is unknown."""
    if proof.verdict is not Verdict.REFUTED:
        return None
    first = next(p for p in proof.problems if p.verdict is Verdict.REFUTED)
    return first.property, first.message


def whole_verdict(case: Case, out: Output, timeout_s: float = 10.0) -> dict[str, str]:
    """The whole-policy verifier's status for each of sound, removes, complete."""
    original = parse_policy(case.policy, "policy.json")
    refined = parse_policy(out.text.encode(), "refined.json", allow_empty=True)
    try:
        results = pipeline.verify_each(original, refined, case.unused, case.catalog,
                                       timeout_s=timeout_s)
    except CounterexampleError as exc:
        return {"error": str(exc)}
    return {prop: str(r.status) for prop, r in results.items()}


@dataclass
class Hunt:
    mutant: Mutant
    killed: bool = False
    killed_by: str | None = None
    reason: str = ""
    cases_run: int = 0  # cases until the kill (or all cases)
    case: Case | None = None
    output: Output | None = None
    differing: int = 0  # cases whose output differed from the correct refiner's
    accepted_differing: list[str] = field(default_factory=list)  # differed, yet proved
    unknown: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    whole: dict[str, str] = field(default_factory=dict)
    kernel: list[str] = field(default_factory=list)  # the proof kernel's failures on the kill
    correct_proved: bool | None = None
    seconds: float = 0.0

    @property
    def whole_rejects(self) -> bool:
        return "refuted" in self.whole.values()


class Correct:
    """The correct refiner's output on each case, computed once."""

    def __init__(self):
        self._cache: dict[str, Output] = {}

    def __call__(self, case: Case) -> Output:
        if case.name not in self._cache:
            self._cache[case.name] = refined_output(case)
        return self._cache[case.name]


def differing_outputs(mutant: Mutant, all_cases: list[Case], correct: Correct,
                      crashes: list[str]):
    """For each case, (its number, the case, the mutant's output and its proof) when the output
    differs from the correct refiner's, else (number, case, None, None). A crash of the mutated
    refiner is recorded in `crashes` (a broken mutant, never a kill) and the case skipped."""
    namespace = mutant.namespace()
    for n, case in enumerate(all_cases, 1):
        expected = correct(case)  # outside the mutant
        try:
            with mutant.applied(namespace):
                out = refined_output(case)
        except Exception as exc:
            crashes.append(f"{case.name}: {type(exc).__name__}: {exc}")
            continue
        if out.key == expected.key:
            yield n, case, None, None
        else:
            yield n, case, out, prove(case, out)


def hunt(mutant: Mutant, all_cases: list[Case], correct: Correct, with_whole: bool = True
         ) -> Hunt:
    """Run cases through the mutant until the prover refutes an output that differs."""
    start = time.perf_counter()
    result = Hunt(mutant)
    for n, case, out, proof in differing_outputs(mutant, all_cases, correct, result.crashes):
        result.cases_run = n
        if out is None:
            continue
        result.differing += 1
        verdict = refuted_by(proof)
        if verdict is None:
            (result.unknown if proof.verdict is Verdict.UNKNOWN
             else result.accepted_differing).append(case.name)
            continue
        result.killed, result.case, result.output = True, case, out
        result.killed_by, result.reason = verdict
        break
    if result.killed:
        result.correct_proved = prove(result.case, correct(result.case)).verdict is \
            Verdict.PROVED
        if with_whole:
            result.whole = whole_verdict(result.case, result.output)
        result.kernel = kernel_failures(result.case, result.output)
    result.seconds = time.perf_counter() - start
    return result


def kernel_failures(case: Case, out: Output) -> list[str]:
    """What the proof kernel (the trusted base) finds wrong with an output, from plain JSON."""
    from verify_refine.prove import kernel_call as kernelcheck

    problems, _ = kernelcheck.check(json.loads(case.policy), json.loads(out.text),
                                    case.unused, case.catalog, out.hints, 10.0)
    return [f"{p.property}: {p.message}" for p in problems]


# ------------------------------------------------------------------------------ survey


def oracle_problems(case: Case, out: Output, rng_seed: int = 0) -> list[str]:
    """Statement by statement, with the brute-force oracle of verify_refine.testing.oracle
    (reference matcher only): sound on samples and near misses, removes and complete on the
    catalog and the unused names, and the structure check. An independent second opinion on an
    accepted output."""
    from verify_refine.testing.oracle import catalog_actions

    rng = random.Random(rng_seed)
    doc, refined = json.loads(case.policy), json.loads(out.text)
    originals = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    news = refined.get("Statement", [])
    news = news if isinstance(news, list) else [news]
    problems = []
    universe = catalog_actions(case.catalog) + list(case.unused.actions) + [
        f"{s}:NotInTheCatalog" for s in case.unused.services]
    for row in out.hints["statements"]:
        before = originals[row["original"]]
        after = None if row["refined"] is None else news[row["refined"]]
        where = f"statement {row['original'] + 1}"
        key = "Action" if "Action" in before else "NotAction" if "NotAction" in before else None
        rest = {k: v for k, v in before.items() if k != key}
        if after is not None and {k: v for k, v in after.items() if k != key} != rest:
            problems.append(f"{where}: structure")
        if before["Effect"] != "Allow":
            if after != before:
                problems.append(f"{where}: Deny changed")
        elif key is not None:
            problems += _statement_problems(case, before, after, key, universe, rng, where)
    return problems


def _statement_problems(case: Case, before: dict, after: dict | None, key: str, universe,
                        rng: random.Random, where: str) -> list[str]:
    """The first sound, removes and complete violation the oracle finds in one Allow statement."""
    from verify_refine.testing.oracle import (
        allows,
        catalog_actions,
        is_unused,
        near_misses,
        samples,
    )

    def listed(s):
        return s[key] if isinstance(s[key], list) else [s[key]]

    old, new, neg = listed(before), [] if after is None else listed(after), key == "NotAction"

    def allowed(entries, action):
        if after is None and entries is new:
            return False
        return allows(entries, action, neg)

    probes = list(universe)
    for text in old + new:
        for sample in samples(text, rng):
            probes += [sample, *near_misses(sample, rng)]
    problems = []
    if any(allowed(new, s) and not allowed(old, s) for s in probes):
        problems.append(f"{where}: sound: " + next(
            s for s in probes if allowed(new, s) and not allowed(old, s)))
    for s in universe:
        if is_unused(case.unused, s) and allowed(new, s):
            problems.append(f"{where}: removes: {s}")
            break
    for s in catalog_actions(case.catalog):
        if allowed(old, s) and not is_unused(case.unused, s) and not allowed(new, s):
            problems.append(f"{where}: complete: {s}")
            break
    return problems


@dataclass
class Survey:
    """Every case through one mutant: how often its output differs, and what the prover says."""

    mutant: Mutant
    cases: int = 0
    differing: int = 0
    refuted: int = 0
    crashes: int = 0
    by_property: dict[str, int] = field(default_factory=dict)
    accepted: list[tuple[str, list[str], dict[str, str]]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def survey(mutant: Mutant, all_cases: list[Case], correct: Correct) -> Survey:
    """Run every case; for outputs the prover accepts, ask the oracle and the whole verifier."""
    result = Survey(mutant)
    crashes: list[str] = []
    for _, case, out, proof in differing_outputs(mutant, all_cases, correct, crashes):
        result.cases += 1
        if out is None:
            continue
        result.differing += 1
        verdict = refuted_by(proof)
        if verdict is not None:
            result.refuted += 1
            result.by_property[verdict[0]] = result.by_property.get(verdict[0], 0) + 1
        elif proof.verdict is Verdict.UNKNOWN:
            result.unknown.append(case.name)
        else:
            result.accepted.append((case.name, oracle_problems(case, out),
                                    whole_verdict(case, out)))
    result.crashes = len(crashes)
    result.cases += len(crashes)
    return result
