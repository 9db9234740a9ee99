"""Mutation testing of the refiner: the prover must refute every deliberately wrong refiner.

Each mutant in mutants.MUTANTS is one realistic bug; it is killed when, on some case (the
worked examples, then seeded random ones), its output differs from the correct refiner's and
the obligation prover refutes it with a named property. The kill rate must stay at 100%; the
table with the killing property and case counts is printed by benchmarks/mutants.py.
"""

from __future__ import annotations

import pytest

from tests.helpers import EXAMPLES
from verify_refine.testing import mutants
from verify_refine.verdict import PROPERTIES as PROPERTY_NAMES
from verify_refine.verdict import STRUCTURE

CASES = mutants.cases(EXAMPLES, seed=6, count=300)
CORRECT = mutants.Correct()
PROPERTIES = set(PROPERTY_NAMES) | {STRUCTURE}
SEMANTIC = {"sound", "removes", "complete"}  # what the whole-policy verifier also checks


def test_at_least_twenty_distinct_mutants():
    names = [m.name for m in mutants.MUTANTS]
    assert len(names) >= 20 and len(set(names)) == len(names)
    for m in mutants.MUTANTS + mutants.SURVIVORS:
        m.namespace()  # every edit still applies to the current source, exactly once


def test_a_mutant_changes_nothing_outside_its_block():
    m = next(m for m in mutants.MUTANTS if m.name == "literal-unused-kept")
    blog = CASES[0]
    before = mutants.refined_output(blog).key
    with m.applied():
        assert mutants.refined_output(blog).key != before
    assert mutants.refined_output(blog).key == before


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_mutant_is_killed(mutant):
    hunt = mutants.hunt(mutant, CASES, CORRECT)
    assert not hunt.crashes, f"the mutated refiner crashed (fix the mutant): {hunt.crashes[:3]}"
    assert hunt.killed, (f"{mutant.name} survived {hunt.cases_run} cases "
                         f"({hunt.differing} with a different output, accepted: "
                         f"{hunt.accepted_differing[:5]}, unknown: {hunt.unknown[:5]})")
    assert hunt.killed_by in PROPERTIES, hunt.reason
    # The kill is the mutation's doing: on the same case the correct output is proved.
    assert hunt.correct_proved, f"the correct refiner is not proved on {hunt.case.name}"
    assert hunt.output.key != CORRECT(hunt.case).key
    # The whole-policy verifier checks sound, removes and complete over the catalog only, at
    # policy level; on these seeded cases it confirms every kill by one of those properties
    # (a dropped name the catalog does not know is outside what it checks).
    # The proof kernel, which shares no code with the obligations, rejects it too.
    assert hunt.kernel and not any(": solver: " in f for f in hunt.kernel), hunt.kernel
    assert "error" not in hunt.whole and "unknown" not in hunt.whole.values(), hunt.whole
    if hunt.killed_by in SEMANTIC and "/complete/unknown" not in hunt.reason:
        assert hunt.whole_rejects, (f"{mutant.name}: killed by {hunt.killed_by} on "
                                    f"{hunt.case.name}, whole verifier: {hunt.whole}")


@pytest.mark.parametrize("mutant", mutants.SURVIVORS, ids=lambda m: m.name)
def test_known_survivors_still_survive(mutant):
    """What the obligations do not check (see mutants.SURVIVORS): if one of these starts being
    killed, the prover has learned something; move it to MUTANTS."""
    hunt = mutants.hunt(mutant, CASES[:40], CORRECT, with_whole=False)
    assert not hunt.crashes
    assert hunt.differing > 0, "not a mutant on these cases: its output never differs"
    assert not hunt.killed, f"{mutant.name} is now killed by {hunt.killed_by}: {hunt.reason}"
