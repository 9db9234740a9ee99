"""Mutation testing of the refiner: deliberately wrong refiners, and the cases that kill them.

A mutant is one realistic bug, written as a textual change to the source of one refiner-side
module (refine/refiner.py, refine/trie.py, refine/unused_index.py, report/document.py, or a
private copy of spec/tokens.py). Applying
it compiles the changed source into a fresh namespace and installs the changed functions and
classes into the refiner's own modules for the duration of a `with` block; src/ is never
edited, and nothing the prover imports is touched (see PROVER_MODULES). A mutant whose `old`
text is no longer in the source fails loudly, so the list follows the refiner as it changes.

A mutant is killed by a case when the refiner's output on it (the refined policy and its
hints) differs from the correct refiner's, and the obligation prover refutes it (a structure
problem or a failed obligation, each with its property); a crash of the mutated refiner is
never a kill. Cases are the three worked examples under examples/, then seeded random ones
over small CamelCase catalogs: Allow statements with Action and NotAction, Deny statements,
case-sensitive resources and conditions, patterns with `*` and `?` anywhere.
"""

from __future__ import annotations

from verify_refine.testing.mutants.bugs import MUTANTS, SURVIVORS, WHY_THEY_SURVIVE
from verify_refine.testing.mutants.cases import Case, cases, example_cases, generated_cases
from verify_refine.testing.mutants.hunt import (
    Correct,
    Hunt,
    Output,
    Survey,
    hunt,
    prove,
    refined_output,
    refuted_by,
    survey,
    whole_verdict,
)
from verify_refine.testing.mutants.mutant import PROVER_MODULES, Mutant

__all__ = ["MUTANTS", "PROVER_MODULES", "SURVIVORS", "WHY_THEY_SURVIVE", "Case", "Correct", "Hunt",
           "Mutant", "Output", "Survey", "cases", "example_cases", "generated_cases", "hunt",
           "prove", "refined_output", "refuted_by", "survey", "whole_verdict"]
