"""The proof obligations of a refinement: small standalone SMT-LIB2 queries whose union is the theorem.

Each Allow statement of the original is paired with its refined counterpart (or with nothing
when the refinement removed it). Queries are sliced so each stays small:
- sound: per original pattern, the refined entries that came from it lie inside it (unsat);
  entries kept verbatim, and NotAction lists that only grow, are settled by the structure check;
- removes: per service, the unused names are ground-checked against the entries that can match
  them (only an entry whose literal head is compatible with `svc:` can), and each unused
  service is a symbolic query (unsat);
- complete: per service, every catalog action not unused that an original pattern can match
  (its literal head is a prefix of the action) is ground-checked (unsat);
- minimal: per original pattern, each generated entry's unsafe prefix admits a witness that is
  unused, and the witness is evaluated with the reference matcher (sat);
- fitted, instead of minimal when the hints claim a size target (`--fit`): the refined
  policy's IAM size is at most the target (fitted.py).
This module writes text only; the solver is elsewhere.
"""

from __future__ import annotations

from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.model import Policy, Statement
from ..jsonout import canonical
from ..spec.glob import fold
from ..verdict import Problem
from . import fitted
from .plan import Plan, found_without_solver
from .queries import StatementQueries


def plan(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
         hints: dict) -> Plan:
    """The obligations that together prove REFINED is a refinement of ORIGINAL."""
    out = Plan()
    pairs = _pairs(original, refined, hints, out)
    if out.problems:
        return out
    folded_unused = {fold(a) for a in unused.actions}
    by_service: dict[str, list[str]] = {}
    for name in sorted(folded_unused):
        by_service.setdefault(name.split(":", 1)[0], []).append(name)
    target = fitted.claimed_target(hints, out)
    ctx = StatementQueries(out, unused, catalog, folded_unused, by_service,
                           minimal=target is None)
    for orig, ref, entry_hints in pairs:
        if orig.effect != "Allow":
            continue
        if orig.action_key == "Action":
            ctx.action_statement(orig, ref, entry_hints)
        else:
            ctx.not_action_statement(orig, ref, entry_hints)
    if target is not None:
        fitted.add(out, refined, target)
    return out


def _pairs(original: Policy, refined: Policy, hints: dict, out: Plan):
    """Pair statements as the hints say, and check everything that needs no solver."""
    problems = out.problems
    top_o = {k: v for k, v in original.members if k != "Statement"}
    top_r = {k: v for k, v in refined.members if k != "Statement"}
    if canonical(top_o) != canonical(top_r):
        problems.append(found_without_solver(None, "policy elements other than Statement differ"))
    rows = hints.get("statements") if isinstance(hints, dict) else None
    if not isinstance(rows, list) or len(rows) != len(original.statements):
        problems.append(found_without_solver(None, "hints do not list every original statement"))
        return []
    pairs, next_refined = [], 0
    for i, row in enumerate(rows):
        orig = original.statements[i]
        if not isinstance(row, dict) or row.get("original") != i:
            problems.append(found_without_solver(i, "hints out of order"))
            return []
        j = row.get("refined")
        if j is None:
            if orig.effect != "Allow":
                problems.append(found_without_solver(i, f"a {orig.effect} statement was removed"))
            pairs.append((orig, None, []))
            continue
        if j != next_refined or j >= len(refined.statements):
            problems.append(found_without_solver(i, f"refined statement {j} is out of order or missing"))
            return []
        next_refined += 1
        ref = refined.statements[j]
        entries = row.get("entries") or []
        _check_pair(orig, ref, entries, i, problems)
        pairs.append((orig, ref, entries))
    if next_refined != len(refined.statements):
        problems.append(found_without_solver(None, f"refined policy has "
                                   f"{len(refined.statements) - next_refined} statement(s) "
                                   "with no original"))
    return pairs


def _without_action(stmt: Statement) -> dict:
    return {k: v for k, v in stmt.members if k != stmt.action_key}


def _check_pair(orig: Statement, ref: Statement, entries, i: int, problems: list[Problem]):
    if orig.effect != ref.effect or orig.action_key != ref.action_key:
        problems.append(found_without_solver(i, "Effect or action element changed"))
        return
    if canonical(_without_action(orig)) != canonical(_without_action(ref)):
        problems.append(found_without_solver(i, f"an element other than {orig.action_key} changed"))
    if orig.effect != "Allow":
        if canonical(dict(orig.members)) != canonical(dict(ref.members)):
            problems.append(found_without_solver(i, f"a {orig.effect} statement changed"))
        return
    if len(entries) != len(ref.patterns):
        problems.append(found_without_solver(i, "hints do not describe every refined entry"))
        return
    if orig.action_key == "NotAction":
        kept = [p.text for p in ref.patterns[:len(orig.patterns)]]
        if kept != [p.text for p in orig.patterns]:
            problems.append(found_without_solver(i, "NotAction entries of the original were changed"))
        return
    for n, hint in enumerate(entries):
        k = hint.get("origin") if isinstance(hint, dict) else None
        if not isinstance(k, int) or not 0 <= k < len(orig.patterns):
            problems.append(found_without_solver(i, f"entry {n + 1} names no original pattern"))


