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
  unused, and the witness is evaluated with the reference matcher (sat).
This module writes text only; the solver is elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.model import Policy, Statement
from ..jsonout import canonical
from ..spec.glob import (
    STAR,
    fold,
    has_wildcard,
    literal_head,
    states_after,
    with_prefix,
)
from ..spec.languages import fast_match, includes, intersects
from ..spec.tokens import token_parent, token_prefixes
from ..verdict import COMPLETE, MINIMAL, REMOVES, SOUND, STRUCTURE, Problem, rule_for
from . import encode as enc

SOUND_CHUNK = 40  # origins per inclusion query: one membership in a union of differences
GROUND_CHUNK = 1500  # ground memberships per query: fewer, larger queries cost less overhead


@dataclass(frozen=True)
class Check:
    """How to evaluate one sat variable's value: in lang(origin), under `unsafe`, and of `kind`."""

    var: str  # the constant holding the value in the model, or "" when the value is written in
    origin: str  # the original pattern (Action) or "" (NotAction)
    unsafe: str
    kind: str  # "unused": the value must be unused; "used": a used catalog action not excluded
    value: str | None = None  # a witness written into the query (ground), evaluated as is


@dataclass(frozen=True)
class Obligation:
    """One query: its property, the statement and slice it covers, the text and the answer due."""

    id: str
    property: str
    statement: int  # 0-based index of the original statement
    slice: str
    expected: str  # "unsat" or "sat"
    smt2: str
    ground: tuple[str, ...] = ()  # the ground strings of a ground query, to find a culprit
    checks: tuple[Check, ...] = ()
    # A counterexample lies in some pattern of each group of all_of, and in none of none_of.
    all_of: tuple[tuple[str, ...], ...] = ()
    none_of: tuple[str, ...] = ()
    # Or, for inclusion queries: the counterexample is in some entry and outside its origin.
    differences: tuple[tuple[tuple[str, ...], str], ...] = ()


@dataclass
class Plan:
    """Every obligation, the structure problems found without a solver, and the catalog slice."""

    obligations: list[Obligation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    services: set[str] = field(default_factory=set)


def once(patterns) -> list[str]:
    """Each pattern once, the first of those equal after folding, in the order given."""
    first: dict[str, str] = {}
    for p in patterns:
        first.setdefault(fold(p), p)
    return list(first.values())


def query(body: list[str]) -> str:
    return enc.LOGIC + "".join(line + "\n" for line in body) + "(check-sat)\n"


class PrefixIndex:
    """Patterns by folded literal head: which can match a string, which can meet a service."""

    def __init__(self, patterns):
        self.by_head: dict[str, list[str]] = {}
        for p in once(patterns):
            self.by_head.setdefault(fold(literal_head(p)), []).append(p)
        self.by_service: dict[str, list[str]] = {}
        self.short: list[str] = []  # heads without a full `svc:`
        for head, group in self.by_head.items():
            if ":" in head:
                self.by_service.setdefault(head.split(":", 1)[0], []).extend(group)
            else:
                self.short.extend(group)

    def matching_candidates(self, folded_text: str) -> list[str]:
        """Patterns whose literal head is a prefix of the text: no other can match it."""
        out = []
        for cut in range(len(folded_text) + 1):
            out.extend(self.by_head.get(folded_text[:cut], ()))
        return out

    def near(self, service: str) -> list[str]:
        """Patterns that can hold a string starting with `service:`."""
        start = fold(service) + ":"
        return self.by_service.get(fold(service), []) + [
            p for p in self.short if start.startswith(fold(literal_head(p)))]


@lru_cache(maxsize=None)
def _folded_token_prefixes(action: str) -> frozenset[str]:
    return frozenset(fold(p) for p in token_prefixes(action))


def is_unused(unused: UnusedSet, action: str) -> bool:
    folded = fold(action)
    return (folded in {fold(a) for a in unused.actions}
            or folded.split(":", 1)[0] in {fold(s) for s in unused.services})


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
    ctx = _Context(out, unused, catalog, folded_unused, by_service)
    for orig, ref, entry_hints in pairs:
        if orig.effect != "Allow":
            continue
        if orig.action_key == "Action":
            ctx.action_statement(orig, ref, entry_hints)
        else:
            ctx.not_action_statement(orig, ref, entry_hints)
    return out


def _pairs(original: Policy, refined: Policy, hints: dict, out: Plan):
    """Pair statements as the hints say, and check everything that needs no solver."""
    problems = out.problems
    top_o = {k: v for k, v in original.members if k != "Statement"}
    top_r = {k: v for k, v in refined.members if k != "Statement"}
    if canonical(top_o) != canonical(top_r):
        problems.append(_structure(None, "policy elements other than Statement differ"))
    rows = hints.get("statements") if isinstance(hints, dict) else None
    if not isinstance(rows, list) or len(rows) != len(original.statements):
        problems.append(_structure(None, "hints do not list every original statement"))
        return []
    pairs, next_refined = [], 0
    for i, row in enumerate(rows):
        orig = original.statements[i]
        if not isinstance(row, dict) or row.get("original") != i:
            problems.append(_structure(i, "hints out of order"))
            return []
        j = row.get("refined")
        if j is None:
            if orig.effect != "Allow":
                problems.append(_structure(i, f"a {orig.effect} statement was removed"))
            pairs.append((orig, None, []))
            continue
        if j != next_refined or j >= len(refined.statements):
            problems.append(_structure(i, f"refined statement {j} is out of order or missing"))
            return []
        next_refined += 1
        ref = refined.statements[j]
        entries = row.get("entries") or []
        _check_pair(orig, ref, entries, i, problems)
        pairs.append((orig, ref, entries))
    if next_refined != len(refined.statements):
        problems.append(_structure(None, f"refined policy has "
                                   f"{len(refined.statements) - next_refined} statement(s) "
                                   "with no original"))
    return pairs


def _without_action(stmt: Statement) -> dict:
    return {k: v for k, v in stmt.members if k != stmt.action_key}


def _structure(statement: int | None, message: str, prop: str = STRUCTURE) -> Problem:
    """A problem found without a solver (statement: 0-based, None for the whole policy)."""
    where = f"statement {statement + 1}: " if statement is not None else ""
    return Problem(rule_for(prop), where + message, prop, statement=statement)


def _check_pair(orig: Statement, ref: Statement, entries, i: int, problems: list[Problem]):
    if orig.effect != ref.effect or orig.action_key != ref.action_key:
        problems.append(_structure(i, "Effect or action element changed"))
        return
    if canonical(_without_action(orig)) != canonical(_without_action(ref)):
        problems.append(_structure(i, f"an element other than {orig.action_key} changed"))
    if orig.effect != "Allow":
        if canonical(dict(orig.members)) != canonical(dict(ref.members)):
            problems.append(_structure(i, f"a {orig.effect} statement changed"))
        return
    if len(entries) != len(ref.patterns):
        problems.append(_structure(i, "hints do not describe every refined entry"))
        return
    if orig.action_key == "NotAction":
        kept = [p.text for p in ref.patterns[:len(orig.patterns)]]
        if kept != [p.text for p in orig.patterns]:
            problems.append(_structure(i, "NotAction entries of the original were changed"))
        return
    for n, hint in enumerate(entries):
        k = hint.get("origin") if isinstance(hint, dict) else None
        if not isinstance(k, int) or not 0 <= k < len(orig.patterns):
            problems.append(_structure(i, f"entry {n + 1} names no original pattern"))


class _Context:
    def __init__(self, out, unused, catalog, folded_unused, by_service):
        self.out = out
        self.unused = unused
        self.catalog = catalog
        self.folded_unused = folded_unused
        self.sorted_unused = sorted(folded_unused)
        self.unused_by_service = by_service
        self.unused_services = sorted(fold(s) for s in unused.services)
        self.atoms = enc.Atoms()  # ground memberships, numbered across the plan

    def is_unused(self, folded: str) -> bool:
        return folded in self.folded_unused or folded.split(":", 1)[0] in self.unused_services

    def unused_under(self, heads) -> set[str]:
        """Unused names that start with one of the (folded) literal heads."""
        out = set()
        for head in heads:
            out.update(with_prefix(self.sorted_unused, head))
        return out

    def used_reachable(self, patterns) -> list[tuple[str, list[str]]]:
        """Used catalog actions whose name starts with some pattern's literal head, by service
        (no other catalog action can be in those patterns); their services join the slice."""
        reachable = set()
        for text in patterns:
            reachable.update(self.catalog.with_prefix(fold(literal_head(text))))
        by_service: dict[str, list[str]] = {}
        for action in sorted(reachable):
            if not self.is_unused(action):
                by_service.setdefault(action.split(":", 1)[0], []).append(action)
        self.out.services.update(by_service)
        return sorted(by_service.items())

    def add_ground(self, stmt: Statement, prop: str, groups) -> None:
        """Ground disjunctions, services packed into chunks; each group is
        (service, disjuncts, ground strings, patterns a culprit lies in, patterns it avoids)."""
        chunk: list = []

        def flush():
            if not chunk:
                return
            first, last = chunk[0][0], chunk[-1][0]
            label = first if first == last else f"{first}..{last}"
            parts = [d for g in chunk for d in g[1]]
            body = self.atoms.defining(parts) + ["(assert (or " + " ".join(parts) + "))"]
            self.add(stmt, prop, label, "unsat", body,
                     ground=[s for g in chunk for s in g[2]],
                     all_of=[sorted({p for g in chunk for p in g[3]})],
                     none_of=sorted({p for g in chunk for p in g[4]}))
            chunk.clear()

        for group in groups:
            if not group[1]:
                continue
            chunk.append(group)
            if sum(len(g[1]) for g in chunk) >= GROUND_CHUNK:
                flush()
        flush()

    def add(self, stmt: Statement, prop: str, slice_: str, expected: str, body: list[str],
            ground=(), checks=(), all_of=(), none_of=(), differences=()):
        ident = f"s{stmt.index + 1}/{prop}/{slice_}"
        self.out.obligations.append(Obligation(
            ident, prop, stmt.index, slice_, expected, query(body), tuple(ground), tuple(checks),
            tuple(tuple(group) for group in all_of), tuple(none_of),
            tuple((tuple(es), o) for es, o in differences)))

    # ------------------------------------------------------------ Action lists

    def action_statement(self, orig: Statement, ref: Statement | None, hints) -> None:
        originals = [p.text for p in orig.patterns]
        entries = [] if ref is None else [p.text for p in ref.patterns]
        origin_of = [h["origin"] for h in hints]
        verbatim = {fold(t) for t in entries}
        changed = once(t for t in originals if fold(t) not in verbatim)
        self._unknown_patterns(orig, changed, entries)
        index = PrefixIndex(entries)
        self._sound(orig, originals, entries, origin_of)
        self._removes(orig, index)
        self._complete(orig, originals, index, changed)
        self._minimal(orig, originals, entries, hints)

    def _unknown_patterns(self, orig, changed: list[str], entries: list[str]) -> None:
        """DESIGN 1: a pattern that matches nothing known (no catalog action, no unused name, no
        string of a wholly unused service) stays allowed: one query each (unsat), unless one
        entry includes it."""
        for n, text in enumerate(changed):
            if self.catalog.matching(text) or any(
                    fast_match(text, u) for u in self.unused_under([fold(literal_head(text))])) \
                    or any(intersects(text, s + ":*") for s in self.unused_services) \
                    or any(includes(text, e) for e in entries):
                continue
            body = ["(declare-const x String)",
                    f"(assert (str.in_re x (re.inter {enc.regex(text)} "
                    f"(re.comp {enc.union(entries)}))))"]
            self.add(orig, COMPLETE, f"unknown.{n + 1}", "unsat", body, all_of=[[text]],
                     none_of=entries)

    def _sound(self, orig, originals, entries, origin_of):
        """Literal entries: ground membership in their origin; wildcards: inclusion per origin."""
        literals, grouped = [], {}
        for text, k in zip(entries, origin_of):
            if fold(text) == fold(originals[k]) or originals[k].strip(STAR) == "":
                continue  # same language, or an origin made of `*` alone, which allows anything
            if has_wildcard(text):
                grouped.setdefault(k, []).append(text)
            else:
                literals.append((text, originals[k]))
        if literals:
            names = {origin: f"O{n}" for n, origin in enumerate(dict.fromkeys(
                origin for _, origin in literals))}
            body = [f"(define-fun {name} () RegLan {enc.regex(origin)})"
                    for origin, name in names.items()]
            body.append("(assert (or " + " ".join(
                f"(not {enc.member(text, names[origin])})" for text, origin in literals) + "))")
            self.add(orig, SOUND, "literals", "unsat", body,
                     ground=[fold(t) for t, _ in literals],
                     all_of=[[t for t, _ in literals]], none_of=[])
        origins = sorted(grouped)
        for n in range(0, len(origins), SOUND_CHUNK):
            chunk = [(grouped[k], originals[k]) for k in origins[n:n + SOUND_CHUNK]]
            parts = [f"(re.inter {enc.union(es)} (re.comp {enc.regex(o)}))" for es, o in chunk]
            regex = parts[0] if len(parts) == 1 else f"(re.union {' '.join(parts)})"
            body = ["(declare-const x String)", f"(assert (str.in_re x {regex}))"]
            label = "wildcards" if len(origins) <= SOUND_CHUNK else \
                f"wildcards.{n // SOUND_CHUNK + 1}"
            self.add(orig, SOUND, label, "unsat", body, differences=chunk)

    def _removes(self, orig, index: PrefixIndex):
        groups = []
        reachable = self.unused_under(index.by_head)
        for service, names in sorted(self.unused_by_service.items()):
            parts, ground, near = [], [], set()
            for u in names:
                if u not in reachable:
                    continue  # no entry's literal head is a prefix of it: none can match it
                candidates = index.matching_candidates(u)
                if candidates:
                    parts.append(self.atoms.member_any(u, candidates))
                    ground.append(u)
                    near.update(candidates)
            groups.append((service, parts, ground, near, ()))
        self.add_ground(orig, REMOVES, groups)
        for service in self.unused_services:
            near = index.near(service)
            if near:
                body = ["(declare-const x String)",
                        f"(assert (str.in_re x (re.inter {enc.union(near)} "
                        f"{enc.starts_with(service + ':')})))"]
                self.add(orig, REMOVES, f"{service}:*", "unsat", body,
                         all_of=[near, [service + ":*"]])

    def _complete(self, orig, originals, index: PrefixIndex, changed: list[str]):
        """Every used catalog action a changed original pattern matches, some entry matches."""
        if not changed:
            return  # every original pattern was kept as written
        originals_index = PrefixIndex(originals)
        groups = []
        for service, actions in self.used_reachable(changed):
            parts, inside, outside = [], set(), set()
            for a in actions:
                p_a = originals_index.matching_candidates(a)
                if not p_a:
                    continue  # no original pattern can match it
                r_a = index.matching_candidates(a)
                inside.update(p_a)
                outside.update(r_a)
                parts.append(f"(and {self.atoms.member_any(a, p_a)} "
                             f"(not {self.atoms.member_any(a, r_a)}))")
            groups.append((service, parts, actions, inside, outside))
        self.add_ground(orig, COMPLETE, groups)

    def _minimal(self, orig, originals, entries, hints):
        """One query per statement: each generated entry's unsafe prefix admits its witness."""
        body, checks, seen, names = [], [], set(), {}
        for text, hint in zip(entries, hints):
            origin = originals[hint["origin"]]
            if fold(text) == fold(origin):
                continue
            problem = self._node_problem(text, hint, origin)
            if problem:
                self.out.problems.append(_structure(orig.index, f"{text}: {problem}", MINIMAL))
                continue
            key = (origin, hint["unsafe"], hint["witness"])
            if key in seen:
                continue
            seen.add(key)
            if origin not in names:
                names[origin] = f"O{len(names)}"
                body.append(f"(define-fun {names[origin]} () RegLan {enc.regex(origin)})")
            witness, unsafe = hint["witness"], enc.string_literal(fold(hint["unsafe"]))
            if witness.endswith(":*"):  # a whole unused service: the solver finds a string
                var = f"w{len(checks)}"
                service = enc.string_literal(fold(witness[:-1]))
                # one membership in an intersection: z3 answers at once, where the same
                # constraint as prefixof-and-membership can take 20 s or come back unknown
                body += [f"(declare-const {var} String)",
                         f"(assert (str.in_re {var} (re.inter {names[origin]} "
                         f"(re.++ (str.to_re {unsafe}) re.all) "
                         f"(re.++ (str.to_re {service}) re.all))))"]
                checks.append(Check(var, origin, hint["unsafe"], "unused"))
            else:
                value = enc.string_literal(fold(witness))
                body.append(f"(assert (and (str.prefixof {unsafe} {value}) "
                            f"(str.in_re {value} {names[origin]})))")
                checks.append(Check("", origin, hint["unsafe"], "unused", fold(witness)))
        if checks:
            self.add(orig, MINIMAL, "generated", "sat", body, checks=checks)

    def _node_problem(self, text: str, hint: dict, origin: str, admits=None) -> str | None:
        """Why the hint for a generated entry cannot stand, or None (checked by evaluation).
        `admits` tells the catalog actions the original allowed there: by default those in
        `origin`; for a NotAction list (origin `*`), those its entries did not exclude."""
        node, unsafe, witness = hint.get("node"), hint.get("unsafe"), hint.get("witness")
        if not all(isinstance(v, str) for v in (node, unsafe, witness)) or not node:
            return "no minimality hint (node, unsafe prefix, witness)"
        if fold(unsafe) != fold(token_parent(node)) and not (
                fold(unsafe) == fold(node) == fold(text)):
            return f"unsafe prefix {unsafe!r} is neither the token parent of {node!r} nor it"
        admits = admits or (lambda a: fast_match(origin, a))
        problem = self._stands_at(text, node, admits, origin)
        if problem:
            return problem
        if not self._is_token_node(node, admits):
            return f"{node!r} is not a token prefix of a catalog action in {origin}"
        return None

    def _stands_at(self, text: str, node: str, admits, origin: str = STAR) -> str | None:
        """A generated entry is the node followed by one way its origin goes on after it (`*`
        when one way on is anything), or the node's only catalog action the origin admits."""
        entry, prefix = fold(text), fold(node)
        rests = {fold(origin[j:]) for j in states_after(origin, node)}
        if entry.startswith(prefix) and (entry[len(prefix):] in rests or (
                entry[len(prefix):] == STAR and any(r.strip(STAR) == "" for r in rests))):
            return None
        if [a for a in self.catalog.with_prefix(prefix) if admits(a)] == [entry]:
            return None
        return f"entry does not stand at its node {node!r}"

    def _is_token_node(self, node: str, admits) -> bool:
        self.out.services.add(fold(node).split(":", 1)[0])
        for action in self.catalog.with_prefix(fold(node)):
            if admits(action) and fold(node) in _folded_token_prefixes(
                    self.catalog.canonical(action)):
                return True
        return False

    # ------------------------------------------------------------ NotAction lists

    def not_action_statement(self, orig: Statement, ref: Statement | None, hints) -> None:
        excluded = [p.text for p in orig.patterns]
        if ref is None:  # removed: everything it allowed must have been unused
            self._nothing_used_left(orig, excluded)
            return
        texts = [p.text for p in ref.patterns]
        added = texts[len(excluded):]
        index, before = PrefixIndex(texts), PrefixIndex(excluded)
        self.add_ground(orig, REMOVES,
                        _outside_groups(index, self.unused_by_service.items(), self.atoms))
        for service in self.unused_services:
            near = index.near(service)
            body = ["(declare-const x String)",
                    f"(assert (str.in_re x (re.inter {enc.starts_with(service + ':')} "
                    f"(re.comp {enc.union(near)}))))"]
            self.add(orig, REMOVES, f"{service}:*", "unsat", body, all_of=[[service + ":*"]],
                     none_of=near)
        groups = []
        for service, actions in self.used_reachable(added):
            parts, inside, outside = [], set(), set()
            for a in actions:
                n_a, p_a = index.matching_candidates(a), before.matching_candidates(a)
                inside.update(n_a)
                outside.update(p_a)
                parts.append(f"(and (not {self.atoms.member_any(a, p_a)}) "
                             f"{self.atoms.member_any(a, n_a)})")
            groups.append((service, parts, actions, inside, outside))
        self.add_ground(orig, COMPLETE, groups)
        self._not_action_minimal(orig, excluded, added, hints[len(excluded):])

    def _not_action_minimal(self, orig, excluded, added, hints):
        body, checks = [], []
        allowed = lambda a: not any(fast_match(q, a) for q in excluded)  # noqa: E731
        for n, (text, hint) in enumerate(zip(added, hints)):
            if not isinstance(hint, dict) or hint.get("node") is None:
                # Exempt: an unused name excluded as written, or `svc:*` for a wholly unused
                # service (the only shorter prefix, `*`, would exclude everything).
                whole_service = fold(text).endswith(":*") and fold(text)[:-2] in \
                    self.unused_services
                if not whole_service and (has_wildcard(text) or not self.is_unused(fold(text))):
                    self.out.problems.append(_structure(orig.index, f"{text}: no minimality "
                                                        "hint", MINIMAL))
                continue  # an unused name the catalog does not know, excluded as written
            problem = self._node_problem(text, hint, STAR, allowed)
            if problem:
                self.out.problems.append(_structure(orig.index, f"{text}: {problem}", MINIMAL))
                continue
            unsafe, witness = hint["unsafe"], hint["witness"]
            var = f"w{n}"
            body += [f"(declare-const {var} String)",
                     f"(assert (= {var} {enc.string_literal(fold(witness))}))",
                     f"(assert (str.in_re {var} {enc.starts_with(unsafe)}))",
                     f"(assert (not (str.in_re {var} {enc.union(excluded)})))"]
            checks.append(Check(var, "", unsafe, "used"))
        if checks:
            self.add(orig, MINIMAL, "added", "sat", body, checks=checks)

    def _nothing_used_left(self, orig, excluded):
        self.add_ground(orig, COMPLETE, _outside_groups(
            PrefixIndex(excluded), self.used_reachable([STAR]), self.atoms))


def _outside_groups(index: PrefixIndex, strings_by_service, atoms: enc.Atoms) -> list:
    """Ground groups claiming each string is in none of the indexed patterns (for add_ground)."""
    groups = []
    for service, strings in sorted(strings_by_service):
        parts, near = [], set()
        for text in strings:
            candidates = index.matching_candidates(text)
            near.update(candidates)
            parts.append(f"(not {atoms.member_any(text, candidates)})")
        groups.append((service, parts, strings, ["*"], near))
    return groups
