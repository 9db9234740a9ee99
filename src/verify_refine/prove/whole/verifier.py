"""The queries of sound, removes and complete, run one by one, and the verdict they make.

Whole-policy verification of any refinement (`verify`): requests of action and resource
against Allow and Deny statements of both policies (model.py states the semantics and the
properties), sliced into small SMT-LIB2 queries whose union is exactly each property
(slices.py). Each formula is split in cells (formula.py), and sets of patterns are written as
tries of their literal heads (regex.py).
"""

from __future__ import annotations

import dataclasses

from ...inputs.catalog import Catalog
from ...inputs.findings import UnusedSet
from ...inputs.model import Policy
from ...spec.glob import fold, has_wildcard
from .. import encode, solver
from .formula import and_, atoms, not_, to_cells, to_smt
from .model import ORIGINAL, REFINED, Model
from .recheck import Rechecker, decode
from .regex import action_regex, action_union, re_comp
from .results import COMPLETE, PROVED, REMOVES, SOUND, UNKNOWN, QueryRecord, VerifyResult, describe
from .slices import (
    Buckets,
    Names,
    admitted_names,
    allows_formula,
    group_regexes,
    may_overlap,
    small,
    symbolic_formula,
    vectors,
)

EXPECTED = solver.UNSAT
DEFAULT_RESOURCE = "*"  # reported when no statement involved constrains the resource


def _comment(text: str) -> str:
    return "; " + text.encode("ascii", "backslashreplace").decode("ascii").replace("\n", " ")


def _query_text(model: Model, prop: str, slice_text: str, formula, uses_action: bool,
                notes=()) -> tuple[str, list[int]]:
    """The standalone SMT-LIB2 text of one query, and the condition booleans it declares."""
    contexts = sorted(atom[1] for atom in atoms(formula, {}) if atom[0] == "c")
    lines = [_comment(f"verify-refine whole-policy query: {prop}; expected unsat"),
             _comment(f"slice: {slice_text}")]
    lines += [_comment(n) for n in notes]
    lines.append(encode.LOGIC.strip())
    if uses_action:
        lines.append("(declare-const a String)")
    lines.append("(declare-const r String)")
    for ctx in contexts:
        text = model.contexts[ctx]
        lines.append(f"(declare-const c{ctx} Bool) " + _comment(
            text if text.startswith("policy variables:") else f"condition context {text}"))
    lines.append(f"(assert {to_smt(formula)})")
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n", contexts


# --- the verifier --------------------------------------------------------------------------------

class _Verifier(Rechecker):
    """The queries of the three properties, run one by one until a counterexample re-checks."""

    def __init__(self, original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
                 timeout_s: float):
        super().__init__(original, refined, unused, catalog, timeout_s)
        self.buckets = Buckets(self.model)

    # running queries ------------------------------------------------------------------------
    def run(self, prop: str, slice_text: str, formula, uses_action: bool,
            actions: tuple[str, ...] = (), notes=()) -> VerifyResult | None:
        """Solve the formula: one query per cell (or the whole formula as one query when it
        has too many atoms to enumerate, or folds to a constant)."""
        cells = to_cells(formula) if not isinstance(formula, bool) else None
        if not cells:
            cells = [formula if cells is None else False]
        for k, cell in enumerate(cells):
            where = slice_text if len(cells) == 1 else f"{slice_text}; cell {k + 1}/{len(cells)}"
            text, used = _query_text(self.model, prop, where, cell, uses_action, notes)
            verdict = solver.solve(text, self.timeout_s)
            self.records.append(QueryRecord(prop, where, EXPECTED, text, verdict.status,
                                            verdict.seconds, verdict.reason, actions))
            if verdict.status != solver.SAT:
                continue
            action = actions[0] if actions else decode(verdict.model.get("a", ""))
            resource = decode(verdict.model["r"]) if "r" in verdict.model else DEFAULT_RESOURCE
            found = self.counterexample(prop, where, text, action, resource, uses_action, used)
            if found is not None:  # None: it rests on a policy variable; search on
                return found
        return None

    # the three properties -------------------------------------------------------------------
    def sound(self) -> VerifyResult | None:
        """Every request REFINED allows, ORIGINAL allows. A request REFINED allows is allowed
        through a literal entry of an Allow statement (a finite set of actions: ground
        memberships, one query per membership vector) or through a wildcard entry or a
        NotAction statement (symbolic queries per service slice, in which REFINED's Allow
        statements keep only those entries). Both parts are exact, and so is their union."""
        model, buckets = self.model, self.buckets
        literal_allow = [st for st in model.statements if st.policy == REFINED
                         and st.effect == "Allow" and not st.negated]
        written = {}
        for st in literal_allow:
            for raw in st.raw_patterns:
                if not has_wildcard(raw):
                    written.setdefault(fold(raw), raw)
        if written:
            admitted = admitted_names(model, Names(written), (ORIGINAL, REFINED))
            found = self.finite(SOUND, "literal actions of REFINED Allow statements",
                                written, admitted, model.groups, written)
            if found:
                return found

        known: set[str] = set()
        rest_needed = False
        for i, st in enumerate(model.statements):
            if st.policy == REFINED and st.effect == "Allow":
                rest_needed |= st.negated or any(has_wildcard(p) for _, p in buckets.wild[i])
                known.update(svc for svc, ps in buckets.by_service[i].items()
                             if any(has_wildcard(p) for p in ps))
        for service in sorted(known):
            found = self.sound_slice(f'actions starting with "{service}:"',
                                     encode.starts_with(service + ":"),
                                     lambda i: buckets.in_service(i, service))
            if found:
                return found
        if rest_needed:
            where = (f"actions starting with none of the {len(known)} service prefixes above"
                     if known else "all action strings")
            found = self.sound_slice(where, re_comp(action_union(s + ":*" for s in known)),
                                     lambda i: buckets.in_rest(i, known))
            if found:
                return found
        return None

    def sound_slice(self, where: str, slice_re: str, overlapping) -> VerifyResult | None:
        """The symbolic part of sound in one slice of the action strings: REFINED's Allow
        statements keep their wildcard entries (and NotAction), the rest every entry that can
        overlap the slice. One query; when it is large, one query per REFINED entry instead
        (a in the slice and in that entry's language, with only the patterns that can
        overlap the entry), whose union is the same set of requests."""
        model = self.model

        def refined_allow(i):
            st = model.statements[i]
            return st.policy == REFINED and st.effect == "Allow"

        def select(i):
            patterns = overlapping(i)
            if refined_allow(i) and not model.statements[i].negated:
                return [p for p in patterns if has_wildcard(p)]
            return patterns
        regexes = group_regexes(model, (ORIGINAL, REFINED), select)
        formula = symbolic_formula(model, regexes, slice_re, SOUND)
        if small(formula):
            return self.run(SOUND, f"{where} (wildcard entries)", formula, True)
        entries: dict[str, list[int]] = {}  # wildcard entry -> REFINED Allow groups with it
        negated = []
        for i, st in enumerate(model.statements):
            if refined_allow(i):
                if st.negated:
                    negated.append(i)
                for p in select(i) if not st.negated else ():
                    entries.setdefault(p, []).append(st.group)
        for entry, gids in entries.items():
            def near(i, entry=entry):
                return [p for p in overlapping(i) if may_overlap(p, entry)]
            regexes = {gid: x for gid, x in group_regexes(model, (ORIGINAL, REFINED),
                                                          near).items()
                       if not (model.groups[gid].policy == REFINED
                               and model.groups[gid].effect == "Allow")}
            regexes.update({gid: action_union([entry]) for gid in gids})
            formula = symbolic_formula(model, regexes, slice_re, SOUND)
            found = self.run(SOUND, f'{where}, entry "{entry}"', formula, True)
            if found:
                return found
        for i in negated:
            st = model.statements[i]
            regexes = {gid: x for gid, x in group_regexes(model, (ORIGINAL, REFINED),
                                                          overlapping).items()
                       if not (model.groups[gid].policy == REFINED
                               and model.groups[gid].effect == "Allow")}
            regexes[st.group] = action_regex(overlapping(i), True)
            formula = symbolic_formula(model, regexes, slice_re, SOUND)
            found = self.run(SOUND, f"{where}, REFINED NotAction statement #{st.index}",
                             formula, True)
            if found:
                return found
        return None

    def removes(self) -> VerifyResult | None:
        """REFINED allows no unused request: a symbolic query per unused service, and ground
        memberships for the unused action names."""
        model, buckets = self.model, self.buckets
        refined_allows = {g.id for g in model.groups_of(REFINED) if g.effect == "Allow"}
        for service in self.unused_services:
            regexes = group_regexes(model, (REFINED,),
                                    lambda i: buckets.in_service(i, service))
            if not refined_allows.intersection(regexes):
                continue  # no REFINED Allow entry can meet service:*
            formula = symbolic_formula(model, regexes, encode.starts_with(service + ":"),
                                       REMOVES)
            found = self.run(REMOVES, f'unused service: actions starting with "{service}:"',
                             formula, True)
            if found:
                return found
        admitted = admitted_names(model, Names(self.unused_names), (REFINED,))
        candidates = {n for gid in refined_allows for n in admitted.get(gid, ())}
        return self.finite(REMOVES, "unused actions", candidates, admitted,
                           model.groups_of(REFINED), self.unused_names)

    def complete(self) -> VerifyResult | None:
        """Every used catalog action ORIGINAL allows, REFINED allows: ground memberships."""
        model = self.model
        universe = [n for n in self.catalog.with_prefix("") if not self.is_unused(n)]
        admitted = admitted_names(model, Names(universe), (ORIGINAL, REFINED))
        allow_ids = {g.id for g in model.groups_of(ORIGINAL) if g.effect == "Allow"}
        candidates = {n for gid in allow_ids for n in admitted.get(gid, ())}
        return self.finite(COMPLETE, "used catalog actions", candidates, admitted, model.groups,
                           {})

    def finite(self, prop, what, candidates, admitted, groups, spelling) -> VerifyResult | None:
        """One query per membership vector: the memberships are constants, the resource and
        the condition booleans stay symbolic."""
        original = [g for g in groups if g.policy == ORIGINAL]
        refined = [g for g in groups if g.policy == REFINED]
        for vector, members in vectors(candidates, admitted).items():
            inside = set(vector)
            actions = tuple(self.catalog.canonical(n) or spelling.get(n, n) for n in members)

            def admits(g):
                return g.id in inside
            if prop == REMOVES:
                formula = allows_formula(refined, admits)
            else:
                formula = and_(allows_formula(original if prop == COMPLETE else refined,
                                              admits),
                               not_(allows_formula(refined if prop == COMPLETE else original,
                                                   admits)))
            where = "; ".join(describe(g) for g in groups if g.id in inside) or "no statement"
            slice_text = (f"{len(members)} {what} admitted by exactly: {where} "
                          f"(first: {actions[0]})")
            notes = ["the action is any of: " + ", ".join(actions[:20])
                     + (f", ... ({len(actions)} in all)" if len(actions) > 20 else "")]
            found = self.run(prop, slice_text, formula, False, actions, notes)
            if found:
                return found
        return None


def verify_each(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
                timeout_s: float = solver.DEFAULT_TIMEOUT_S) -> dict[str, VerifyResult]:
    """Each of sound, removes and complete on its own: a refutation of one does not stop the
    others (for comparisons that count failures per property)."""
    v = _Verifier(original, refined, unused, catalog, timeout_s)
    out = {}
    for prop, check in ((SOUND, v.sound), (REMOVES, v.removes), (COMPLETE, v.complete)):
        before, v.undecided = len(v.records), None
        found = check() or v.undecided
        records = tuple(v.records[before:])
        if found is None:
            unknown = next((r for r in records if r.status != solver.UNSAT), None)
            found = VerifyResult(UNKNOWN if unknown else PROVED, records, prop)
        out[prop] = found
    return out


def verify_policies(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
                    timeout_s: float = solver.DEFAULT_TIMEOUT_S) -> VerifyResult:
    """Prove or refute that REFINED is a refinement of ORIGINAL (sound, removes, complete) at
    whole-policy level. Unknown on any query makes the result unknown, never proved."""
    v = _Verifier(original, refined, unused, catalog, timeout_s)
    for check in (v.sound, v.removes, v.complete):
        found = check()
        if found is not None:
            return found
    records = tuple(v.records)
    if v.undecided is not None:
        return dataclasses.replace(v.undecided, queries=records)
    unknown = next((r for r in records if r.status != solver.UNSAT), None)
    if unknown is not None:
        reason = f" ({unknown.reason})" if unknown.reason else ""
        return VerifyResult(UNKNOWN, records, unknown.property, explanation=(
            f"the solver gave no answer for the {unknown.property} query "
            f"[{unknown.slice}]{reason}; nothing is proved"))
    return VerifyResult(PROVED, records, explanation="proved: sound, removes and complete")
