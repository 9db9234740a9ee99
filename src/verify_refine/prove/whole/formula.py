"""Formulas over a request: a small AST with constant folding, split in cells, written as SMT-LIB2.

A formula is True, False, ("a", regex) for `a` in regex, ("r", regex) for `r` in regex,
("c", id) for a condition boolean, or ("not", f), ("and", f...), ("or", f...).

Each formula is split in "cells" (see `to_cells`), each solved as its own query: one regex
membership per string variable, which Z3 decides fast, where and/or of many memberships of
one variable is slow.
"""

from __future__ import annotations

import functools

from .regex import ALL, NONE, re_comp, re_inter, re_union

CELL_LIMIT = 64  # a formula is split in at most this many cells (else: one query)


def a_in(regex: str):
    return True if regex == ALL else False if regex == NONE else ("a", regex)


def r_in(regex: str):
    return True if regex == ALL else False if regex == NONE else ("r", regex)


def _junction(op: str, xs, unit: bool):
    """and/or of formulas, flattened, without duplicates, in a canonical order (so that
    equal sets of conjuncts are equal formulas), folding constants and x with (not x)."""
    out = set()
    for x in xs:
        if x is (not unit):
            return not unit
        if x is unit:
            continue
        out.update(x[1:] if x[0] == op else (x,))
    if any(not_(x) in out for x in out):
        return not unit
    if not out:
        return unit
    ordered = sorted(out, key=repr)
    return ordered[0] if len(ordered) == 1 else (op, *ordered)


def and_(*xs):
    return _junction("and", xs, True)


def or_(*xs):
    return _junction("or", xs, False)


def not_(x):
    if isinstance(x, bool):
        return not x
    return x[1] if x[0] == "not" else ("not", x)


def atoms(f, out: dict, kinds=("r", "c")) -> dict:
    """The atoms of the given kinds in a formula, in order of appearance."""
    if isinstance(f, bool):
        return out
    if f[0] in kinds:
        out.setdefault(f, None)
    elif f[0] in ("not", "and", "or"):
        for x in f[1:]:
            atoms(x, out, kinds)
    return out


def _substitute(f, values: dict):
    if isinstance(f, bool):
        return f
    if f[0] in ("a", "r", "c"):
        return values.get(f, f)
    parts = [_substitute(x, values) for x in f[1:]]
    return not_(parts[0]) if f[0] == "not" else and_(*parts) if f[0] == "and" else or_(*parts)


def to_regex(f) -> str:
    """A formula over one string variable alone as the regex of the strings satisfying it."""
    if f is True:
        return ALL
    if f is False:
        return NONE
    if f[0] in ("a", "r"):
        return f[1]
    parts = [to_regex(x) for x in f[1:]]
    if f[0] == "not":
        return re_comp(parts[0])
    return re_inter(parts) if f[0] == "and" else re_union(parts)


def to_smt(f) -> str:
    if f is True:
        return "true"
    if f is False:
        return "false"
    if f[0] == "a":
        return f"(str.in_re a {f[1]})"
    if f[0] == "r":
        return f"(str.in_re r {f[1]})"
    if f[0] == "c":
        return f"c{f[1]}"
    return f"({f[0]} {' '.join(to_smt(x) for x in f[1:])})"


SEARCH_BUDGET = 2000  # branches tried by _satisfiable, and by to_cells, before giving up


def _first_atom(f):
    if isinstance(f, bool):
        return None
    if f[0] in ("a", "r", "c"):
        return f
    for x in f[1:]:
        atom = _first_atom(x)
        if atom is not None:
            return atom
    return None


def _satisfiable(f, budget: list[int] | None = None) -> bool:
    """False when no truth values of f's atoms, taken as independent booleans, satisfy it:
    then no (a, r, c) does. True when some do, or when the search runs out of budget."""
    budget = [SEARCH_BUDGET] if budget is None else budget
    if isinstance(f, bool):
        return f
    if budget[0] <= 0:
        return True
    budget[0] -= 1
    atom = _first_atom(f)
    return (_satisfiable(_substitute(f, {atom: True}), budget)
            or _satisfiable(_substitute(f, {atom: False}), budget))


@functools.lru_cache(maxsize=64)
def to_cells(f):
    """The formula as a list of cells whose disjunction is equivalent to it, or None when
    there would be more than CELL_LIMIT of them.

    Z3 is slow on several memberships of one string joined by and/or (it must reconcile the
    negated ones too), and fast on one membership of a combined regex. So split the formula
    on the condition atoms and on the atoms of one string variable (the one with fewer
    atoms), one atom at a time (Shannon expansion), simplifying as it goes and dropping the
    branches that become false. In a leaf, the expanded variable's atoms intersect to one
    regex and what remains of the formula is over the other variable alone, i.e. one regex
    too: a cell is the conjunction of the two memberships and the condition literals. The
    disjunction of the leaves is equivalent to f; each cell is solved as a query of its own.
    Cells that differ only in one variable's regex are merged by union."""
    on_a = list(atoms(f, {}, ("a",)))
    on_r = list(atoms(f, {}, ("r",)))
    expanded_kind = "r" if len(on_r) <= len(on_a) or not on_a else "a"
    leaves = []
    budget = [SEARCH_BUDGET]

    def split(g, assignment):
        if g is False:
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        pending = list(atoms(g, {}, ("c", expanded_kind)))
        if not pending:
            if _satisfiable(g):
                leaves.append((g, assignment))
            return len(leaves) <= CELL_LIMIT
        atom = pending[0]
        return all(split(_substitute(g, {atom: v}), {**assignment, atom: v})
                   for v in (True, False))
    if not _satisfiable(f):
        return []
    if not split(f, {}):
        return None
    cells = []
    for g, assignment in leaves:
        kept = to_regex(g)
        fixed = re_inter([atom[1] if v else re_comp(atom[1])
                          for atom, v in assignment.items() if atom[0] == expanded_kind])
        a_regex, r_regex = (kept, fixed) if expanded_kind == "r" else (fixed, kept)
        if a_regex == NONE or r_regex == NONE:
            continue
        literals = tuple(sorted((atom[1], v) for atom, v in assignment.items()
                                if atom[0] == "c"))
        cells.append((a_regex, r_regex, literals))
    for merge in (0, 1):  # merge on a's regex, then on r's
        merged: dict = {}
        for cell in cells:
            key = (cell[1 - merge], cell[2])
            merged.setdefault(key, []).append(cell[merge])
        cells = [((re_union(v), k[0]) if merge == 0 else (k[0], re_union(v))) + (k[1],)
                 for k, v in merged.items()]
    return [and_(a_in(a_regex), r_in(r_regex),
                 *((("c", c) if v else not_(("c", c))) for c, v in literals))
            for a_regex, r_regex, literals in cells]
