"""Z3's own evaluation of the encoding: is a folded string in a pattern's regex, as z3 says."""

from __future__ import annotations

import z3

from . import encode


def member(text: str, pattern: str) -> bool:
    """Z3's answer to `(str.in_re fold(text) regex(pattern))`, by simplification (ground terms),
    with a solver call as a fallback should the simplifier leave the term open."""
    term = z3.parse_smt2_string(f"(assert {encode.member(text, encode.regex(pattern))})")[0]
    value = z3.simplify(term)
    if z3.is_true(value):
        return True
    if z3.is_false(value):
        return False
    solver = z3.Solver()
    solver.add(term)
    answer = solver.check()
    if answer == z3.unknown:
        raise RuntimeError(f"z3 cannot decide {text!r} in {pattern!r}")
    return answer == z3.sat
