"""Whole-policy verification of any refinement (`verify`): requests of action and resource
against Allow and Deny statements of both policies, sliced into small SMT-LIB2 queries.

The semantics and the properties are stated in model.py.

Slicing, so that every query is small and the union of the queries is exactly the property:

- complete and removes range over finite action sets (used catalog actions; unused names).
  An action enters a query only through "statement group g admits a", computed here with the
  matcher; actions with the same membership vector share one query in which those
  memberships are constants while r and the condition booleans stay symbolic (the record
  lists the actions; the first one is reported). Actions that no Allow statement of the
  policy under test admits need no query.
- removes for an unused service `svc`: one query with a symbolic a in `svc:`·Σ*, with only
  the patterns that can overlap `svc:`.
- sound ranges over all strings. A request REFINED allows is allowed through a literal entry
  of one of its Allow statements, or through a wildcard entry or a NotAction statement.
  Literal entries form a finite set, checked like complete (ground memberships of every
  statement, one query per vector). For the rest, one query per service prefix s of a
  wildcard entry (a in `s:`·Σ*, REFINED's Allow statements reduced to their wildcard entries
  and NotAction, every other statement to the patterns whose literal head can overlap `s:`),
  plus one query for the strings that start with none of those prefixes. The prefixes `s:`
  are pairwise disjoint and with the rest cover every string; a slice whose query would be
  large is split further, one query per wildcard entry (and per NotAction statement).

Each formula is split in cells (formula.py), and sets of patterns are written as tries of
their literal heads (regex.py).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass

from ...inputs.catalog import Catalog
from ...inputs.findings import UnusedSet
from ...inputs.model import Policy
from ...spec.glob import (
    fold,
    has_wildcard,
    literal_head,
    matches,
    prefix_bounds,
)
from ...spec.languages import fast_match, literal_tail
from .. import encode, solver
from . import variables
from .formula import a_in, and_, atoms, not_, or_, r_in, to_cells, to_smt
from .model import ORIGINAL, REFINED, Group, Model, Stmt, allows, matches_request
from .regex import action_regex, action_union, re_comp, re_union, resource_regex, resource_union

SOUND, REMOVES, COMPLETE = "sound", "removes", "complete"
PROPERTIES = (SOUND, REMOVES, COMPLETE)
PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"
EXPECTED = solver.UNSAT
DEFAULT_RESOURCE = "*"  # reported when no statement involved constrains the resource
BRUTE_FORCE_CONTEXTS = 10  # condition assignments are searched by evaluation up to 2**10

ALL, NONE = "re.all", "re.none"


@dataclass(frozen=True)
class QueryRecord:
    """One standalone SMT-LIB2 query: what it proves, its text, and what the solver said."""

    property: str  # sound, removes or complete
    slice: str  # which part of the property this query covers
    expected: str  # "unsat"
    smt: str  # standalone SMT-LIB2 text ending in (check-sat)
    status: str  # sat, unsat or unknown
    seconds: float
    reason: str = ""  # why the solver said unknown
    actions: tuple[str, ...] = ()  # finite slices: the actions this query stands for


@dataclass(frozen=True)
class VerifyResult:
    """proved, refuted (with a re-checked counterexample) or unknown (naming the query)."""

    status: str
    queries: tuple[QueryRecord, ...]
    property: str | None = None
    action: str | None = None
    resource: str | None = None
    explanation: str = ""
    conditions: tuple[tuple[str, bool], ...] = ()  # relevant condition contexts and values


class CounterexampleError(RuntimeError):
    """The solver's counterexample did not survive re-checking by evaluation: a bug."""


def _comment(text: str) -> str:
    return "; " + text.encode("ascii", "backslashreplace").decode("ascii").replace("\n", " ")


def _resource_atom(g: Group):
    """The resource element: a regex membership, or'ed with (boolean and skeleton) for each
    entry holding a policy variable, and the element's in_effect boolean (see variables.py)."""
    if g.element is None:
        return True
    el = g.element
    in_effect = True if el.in_effect is None else ("c", el.in_effect)
    definite = r_in(re_union([resource_union(el.globs)] + el.regexes()))
    atom = or_(and_(in_effect, definite) if el.kind == "Resource" else definite,
               *(and_(("c", v.atom), r_in(resource_regex(v.skeleton))) for v in el.variables))
    return atom if el.kind == "Resource" else and_(in_effect, not_(atom))


def _context_atom(g: Group):
    return True if g.context is None else ("c", g.context)


def _allows_formula(groups: list[Group], admits):
    """"The policy of these groups allows (a, r)", given each group's action admission (a
    formula over a, or a constant): some Allow group applies and no Deny group does."""
    def applies(g):
        x = admits(g)
        return False if x is False else and_(x, _resource_atom(g), _context_atom(g))
    allow = or_(*(applies(g) for g in groups if g.effect == "Allow"))
    if allow is False:
        return False
    return and_(allow, not_(or_(*(applies(g) for g in groups if g.effect == "Deny"))))


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


# --- pattern slices ------------------------------------------------------------------------------

class _Buckets:
    """Each statement's folded patterns by the service of their literal head (wild: no `:`)."""

    def __init__(self, model: Model):
        self.by_service: dict[int, dict[str, list[str]]] = {}
        self.wild: dict[int, list[tuple[str, str]]] = {}
        for i, st in enumerate(model.statements):
            by, wild = {}, []
            for p in st.patterns:
                head = literal_head(p)
                if ":" in head:
                    by.setdefault(head.split(":", 1)[0], []).append(p)
                else:
                    wild.append((head, p))
            self.by_service[i], self.wild[i] = by, wild

    def in_service(self, i: int, service: str) -> list[str]:
        """The patterns of statement i whose language can meet `service:`·Σ*."""
        prefix = service + ":"
        return (self.by_service[i].get(service, [])
                + [p for head, p in self.wild[i] if prefix.startswith(head)])

    def in_rest(self, i: int, known: set[str]) -> list[str]:
        """The patterns of statement i that can match a string starting with no known `s:`."""
        return ([p for svc, ps in self.by_service[i].items() if svc not in known for p in ps]
                + [p for _, p in self.wild[i]])


def _group_regexes(model: Model, policies, select) -> dict[int, str]:
    """Each group's action language within a slice (only groups of the given policies): one
    trie for the entries of its Action statements, a complement for each NotAction one."""
    positive: dict[int, list[str]] = {}
    negative: dict[int, list[str]] = {}
    for i, st in enumerate(model.statements):
        if st.policy not in policies:
            continue
        patterns = select(i)
        if st.negated:
            negative.setdefault(st.group, []).append(action_regex(patterns, True))
        elif patterns:
            positive.setdefault(st.group, []).extend(patterns)
    return {gid: re_union([action_union(positive.get(gid, ()))] + negative.get(gid, []))
            for gid in sorted(set(positive) | set(negative))}


SPLIT_CHARS = 20000  # a sound slice whose query is longer is split per REFINED entry


def _small(formula) -> bool:
    if isinstance(formula, bool):
        return True
    cells = to_cells(formula)
    return cells is not None and sum(len(to_smt(c)) for c in cells) <= SPLIT_CHARS


def _may_overlap(pattern: str, entry: str) -> bool:
    """False only when lang(pattern) and lang(entry) are disjoint: their literal heads (or
    tails) differ at a position both fix."""
    hp, he = literal_head(pattern), literal_head(entry)
    tp, te = literal_tail(pattern), literal_tail(entry)
    return ((hp.startswith(he) or he.startswith(hp))
            and (tp.endswith(te) or te.endswith(tp)))


def _symbolic_formula(model: Model, regexes: dict[int, str], slice_re: str, prop: str):
    """sound: a in the slice, REFINED allows (a, r), ORIGINAL does not; removes: a in the
    slice, REFINED allows (a, r)."""
    groups = [model.groups[gid] for gid in sorted(regexes)]
    refined = [g for g in groups if g.policy == REFINED]
    original = [g for g in groups if g.policy == ORIGINAL]

    def admits(g):
        return a_in(regexes[g.id])
    formula = and_(a_in(slice_re), _allows_formula(refined, admits))
    if prop == SOUND and formula is not False:
        formula = and_(formula, not_(_allows_formula(original, admits)))
    return formula


# --- finite action sets --------------------------------------------------------------------------

class _Names:
    """A sorted list of folded names, matched by pattern through their literal heads."""

    def __init__(self, names):
        self.sorted = sorted(set(names))
        self.set = set(self.sorted)

    def matching(self, pattern: str) -> set[str]:
        if not has_wildcard(pattern):
            return {pattern} if pattern in self.set else set()
        head = literal_head(pattern)
        lo, hi = prefix_bounds(self.sorted, head)
        return {n for n in self.sorted[lo:hi] if fast_match(pattern, n)}


def _admitted(model: Model, names: _Names, policies) -> dict[int, set[str]]:
    """Per group (of the given policies), the names its action elements admit."""
    out: dict[int, set[str]] = {}
    for st in model.statements:
        if st.policy not in policies:
            continue
        hit: set[str] = set()
        for p in st.patterns:
            hit |= names.matching(p)
        if st.negated:
            hit = names.set - hit
        out.setdefault(st.group, set()).update(hit)
    return out


def _vectors(candidates, admitted: dict[int, set[str]]) -> dict[tuple[int, ...], list[str]]:
    vec: dict[str, list[int]] = {n: [] for n in candidates}
    for gid in sorted(admitted):
        for n in admitted[gid]:
            if n in vec:
                vec[n].append(gid)
    out: dict[tuple[int, ...], list[str]] = {}
    for n in sorted(vec):
        out.setdefault(tuple(vec[n]), []).append(n)
    return out


# --- the verifier --------------------------------------------------------------------------------

class _Verifier:
    def __init__(self, original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog,
                 timeout_s: float):
        self.model = Model(original, refined)
        self.unused = unused
        self.catalog = catalog
        self.timeout_s = timeout_s
        self.records: list[QueryRecord] = []
        self.unused_names = {fold(a): a for a in unused.actions}
        self.unused_services = sorted({fold(s) for s in unused.services})
        self.buckets = _Buckets(self.model)
        self.undecided: VerifyResult | None = None  # a counterexample resting on a variable

    # evaluation -----------------------------------------------------------------------------
    def is_unused(self, action: str) -> bool:
        f = fold(action)
        return f in self.unused_names or any(f.startswith(s + ":") for s in self.unused_services)

    def matching(self, action: str, resource: str) -> list[Stmt]:
        return [s for s in self.model.statements if matches_request(s, action, resource)]

    def violates(self, prop: str, action: str, resource: str, assignment,
                 matching: list[Stmt] | None = None) -> bool:
        """Direct evaluation of the property on one request, with the reference matcher."""
        if matching is None:
            matching = self.matching(action, resource)
        allows_r = allows(matching, REFINED, resource, assignment)
        if prop == SOUND:
            return allows_r and not allows(matching, ORIGINAL, resource, assignment)
        if prop == REMOVES:
            return allows_r and self.is_unused(action)
        return (self.catalog.canonical(action) is not None and not self.is_unused(action)
                and allows(matching, ORIGINAL, resource, assignment) and not allows_r)

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
            action = actions[0] if actions else _decode(verdict.model.get("a", ""))
            resource = _decode(verdict.model["r"]) if "r" in verdict.model else DEFAULT_RESOURCE
            found = self.counterexample(prop, where, text, action, resource, uses_action, used)
            if found is not None:  # None: it rests on a policy variable; search on
                return found
        return None

    def counterexample(self, prop, slice_text, text, action, resource, uses_action,
                       used) -> VerifyResult:
        readable_action, resource = self.readable(action if uses_action else None, resource)
        if uses_action:
            action = readable_action
        relevant = self.relevant_contexts(action, resource)
        assignment = self.find_assignment(prop, action, resource, relevant, text, uses_action,
                                          used)
        if assignment is None or not self.violates(prop, action, resource, assignment):
            raise CounterexampleError(
                f"{prop} query [{slice_text}] gave action {action!r}, resource {resource!r}, "
                "which does not violate the property when evaluated: a bug in the encoding")
        if uses_action and self.catalog.canonical(action) is None:
            better = self.catalog_witness(prop, action, resource, assignment)
            if better is not None:
                action = better
                relevant = self.relevant_contexts(action, resource)
        shown = self.catalog.canonical(action) or self.unused_names.get(fold(action)) or action
        matching = self.matching(shown, resource)
        assignment, culprit = variables.settle(
            lambda values: self.violates(prop, shown, resource, values, matching),
            matching, resource, relevant, assignment)
        if culprit is not None:  # the violation rests on what a policy variable stands for
            why = variables.undecided_text(*culprit, prop, shown, resource)
            self.undecided = self.undecided or VerifyResult(
                UNKNOWN, tuple(self.records), prop, shown, resource, why)
            return None
        relevant = [c for c in relevant if c not in variables.live_atoms(matching, resource)]
        conditions = tuple((self.model.contexts[c], assignment.get(c, False)) for c in relevant)
        return VerifyResult(REFUTED, tuple(self.records), prop, shown, resource,
                            _explain(prop, shown, resource, conditions), conditions)

    def catalog_witness(self, prop, action, resource, assignment, limit: int = 200):
        """A catalog action that violates the property on the same resource with the same
        condition values, when the REFINED entries that admit the solver's string admit one:
        easier to read than the solver's string, and just as re-checked."""
        tried = 0
        for st in self.matching(action, resource):
            if st.policy != REFINED or st.effect != "Allow" or st.negated:
                continue
            if st.context is not None and not assignment.get(st.context, False):
                continue
            for pattern in st.raw_patterns:
                if not matches(pattern, action):
                    continue
                for name in self.catalog.matching(pattern):
                    if tried >= limit:
                        return None
                    tried += 1
                    if self.violates(prop, name, resource, assignment):
                        return name
        return None

    def readable(self, action: str | None, resource: str) -> tuple[str | None, str]:
        """The solver's strings with each odd character (one case folding changes, in the
        action; a control or non-ASCII one) that no pattern mentions replaced by a plain one
        that no pattern mentions either: as `?` and `*` alone can match such characters,
        every membership stays the same. For the action this is also what makes the
        reference matcher, which folds, agree with the solver, which does not fold `a`."""
        if action is not None:
            used = {ch for st in self.model.statements for p in st.patterns for ch in p}
            used |= {ch for name in self.unused_names for ch in name}
            used |= {ch for s in self.unused_services for ch in s + ":"}
            action = _replace_odd(action, used, True)
        used = {ch for st in self.model.statements if st.resource is not None
                for p in st.resource[1] for ch in p}
        return action, _replace_odd(resource, used, False)

    def relevant_contexts(self, action: str, resource: str) -> list[int]:
        matching = self.matching(action, resource)
        return sorted({s.context for s in matching if s.context is not None}
                      | variables.live_atoms(matching, resource))

    def find_assignment(self, prop, action, resource, relevant, text, uses_action, used):
        if len(relevant) <= BRUTE_FORCE_CONTEXTS:
            matching = self.matching(action, resource)
            for values in itertools.product((False, True), repeat=len(relevant)):
                assignment = dict(zip(relevant, values))
                if self.violates(prop, action, resource, assignment, matching):
                    return assignment
            return None
        # Many contexts: ask the solver for the booleans, spelled as a string of 0s and 1s.
        body = text.rsplit("(check-sat)", 1)[0]
        extra = [f"(assert (= r {encode.string_literal(resource)}))"]
        if uses_action:
            extra.append(f"(assert (= a {encode.string_literal(action)}))")
        bits = " ".join(f'(ite c{c} "1" "0")' for c in used)
        extra += ["(declare-const cw String)", f'(assert (= cw (str.++ "" {bits} "")))',
                  "(check-sat)"]
        verdict = solver.solve(body + "\n".join(extra) + "\n", self.timeout_s)
        if verdict.status != solver.SAT:
            return None
        word = _decode(verdict.model.get("cw", ""))
        return {c: word[i:i + 1] == "1" for i, c in enumerate(used)}

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
            admitted = _admitted(model, _Names(written), (ORIGINAL, REFINED))
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
        regexes = _group_regexes(model, (ORIGINAL, REFINED), select)
        formula = _symbolic_formula(model, regexes, slice_re, SOUND)
        if _small(formula):
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
                return [p for p in overlapping(i) if _may_overlap(p, entry)]
            regexes = {gid: x for gid, x in _group_regexes(model, (ORIGINAL, REFINED),
                                                           near).items()
                       if not (model.groups[gid].policy == REFINED
                               and model.groups[gid].effect == "Allow")}
            regexes.update({gid: action_union([entry]) for gid in gids})
            formula = _symbolic_formula(model, regexes, slice_re, SOUND)
            found = self.run(SOUND, f'{where}, entry "{entry}"', formula, True)
            if found:
                return found
        for i in negated:
            st = model.statements[i]
            regexes = {gid: x for gid, x in _group_regexes(model, (ORIGINAL, REFINED),
                                                           overlapping).items()
                       if not (model.groups[gid].policy == REFINED
                               and model.groups[gid].effect == "Allow")}
            regexes[st.group] = action_regex(overlapping(i), True)
            formula = _symbolic_formula(model, regexes, slice_re, SOUND)
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
            regexes = _group_regexes(model, (REFINED,),
                                     lambda i: buckets.in_service(i, service))
            if not refined_allows.intersection(regexes):
                continue  # no REFINED Allow entry can meet service:*
            formula = _symbolic_formula(model, regexes, encode.starts_with(service + ":"),
                                        REMOVES)
            found = self.run(REMOVES, f'unused service: actions starting with "{service}:"',
                             formula, True)
            if found:
                return found
        admitted = _admitted(model, _Names(self.unused_names), (REFINED,))
        candidates = {n for gid in refined_allows for n in admitted.get(gid, ())}
        return self.finite(REMOVES, "unused actions", candidates, admitted,
                           model.groups_of(REFINED), self.unused_names)

    def complete(self) -> VerifyResult | None:
        """Every used catalog action ORIGINAL allows, REFINED allows: ground memberships."""
        model = self.model
        universe = [n for n in self.catalog.with_prefix("") if not self.is_unused(n)]
        admitted = _admitted(model, _Names(universe), (ORIGINAL, REFINED))
        allow_ids = {g.id for g in model.groups_of(ORIGINAL) if g.effect == "Allow"}
        candidates = {n for gid in allow_ids for n in admitted.get(gid, ())}
        return self.finite(COMPLETE, "used catalog actions", candidates, admitted, model.groups,
                           {})

    def finite(self, prop, what, candidates, admitted, groups, spelling) -> VerifyResult | None:
        """One query per membership vector: the memberships are constants, the resource and
        the condition booleans stay symbolic."""
        original = [g for g in groups if g.policy == ORIGINAL]
        refined = [g for g in groups if g.policy == REFINED]
        for vector, members in _vectors(candidates, admitted).items():
            inside = set(vector)
            actions = tuple(self.catalog.canonical(n) or spelling.get(n, n) for n in members)

            def admits(g):
                return g.id in inside
            if prop == REMOVES:
                formula = _allows_formula(refined, admits)
            else:
                formula = and_(_allows_formula(original if prop == COMPLETE else refined,
                                               admits),
                               not_(_allows_formula(refined if prop == COMPLETE else original,
                                                    admits)))
            where = "; ".join(_describe(g) for g in groups if g.id in inside) or "no statement"
            slice_text = (f"{len(members)} {what} admitted by exactly: {where} "
                          f"(first: {actions[0]})")
            notes = ["the action is any of: " + ", ".join(actions[:20])
                     + (f", ... ({len(actions)} in all)" if len(actions) > 20 else "")]
            found = self.run(prop, slice_text, formula, False, actions, notes)
            if found:
                return found
        return None


def _replace_odd(text: str, used: set[str], folding: bool) -> str:
    def odd(ch):
        return ch not in used and (not (ch.isascii() and ch.isprintable())
                                   or (folding and fold(ch) != ch))
    if not any(odd(ch) for ch in text):
        return text
    fresh = next((ch for ch in "xyzqjkvw0123456789-_~abcdefghilmnoprstu" if ch not in used),
                 None)
    if fresh is None:
        return text
    return "".join(fresh if odd(ch) else ch for ch in text)


def _decode(value: str) -> str:
    """Z3 model strings spell some characters as \\u{hex} (a backslash before `u{` too)."""
    return re.sub(r"\\u\{([0-9a-fA-F]{1,6})\}", lambda m: chr(int(m.group(1), 16)), value)


def _describe(g: Group) -> str:
    numbers = ",".join(f"#{s.index}" for s in g.members)
    return f"{g.policy.upper()} {g.effect} statement{'s' if len(g.members) > 1 else ''} {numbers}"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _explain(prop, action, resource, conditions) -> str:
    res = f'resource "{resource}"'
    if prop == SOUND:
        line = f"sound: REFINED allows {action} on {res}, which ORIGINAL does not allow"
    elif prop == REMOVES:
        line = f"removes: REFINED still allows the unused action {action} on {res}"
    else:
        line = f"complete: ORIGINAL allows {action} on {res} (a used catalog action), " \
               "which REFINED no longer allows"
    if conditions:
        line += " when " + ", ".join(f"condition context {_short(c)} is "
                                     f"{'true' if v else 'false'}" for c, v in conditions)
    return line


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
