"""The SMT-LIB2 queries of one Allow statement and its refinement: sound, removes, complete
and minimal, each sliced so that it stays small (obligations.py says why the slices add up)."""

from __future__ import annotations

from functools import lru_cache

from ..inputs.model import Statement
from ..spec.glob import STAR, fold, has_wildcard, literal_head, states_after, with_prefix
from ..spec.languages import fast_match, includes, intersects
from ..spec.tokens import token_parent, token_prefixes
from ..verdict import COMPLETE, MINIMAL, REMOVES, SOUND
from . import encode as enc
from .plan import Check, Obligation, PrefixIndex, found_without_solver, once, query

SOUND_CHUNK = 40  # origins per inclusion query: one membership in a union of differences
GROUND_CHUNK = 1500  # ground memberships per query: fewer, larger queries cost less overhead


@lru_cache(maxsize=None)
def _folded_token_prefixes(action: str) -> frozenset[str]:
    return frozenset(fold(p) for p in token_prefixes(action))


class StatementQueries:
    """Writes the obligations of each Allow statement of one plan, into it."""


    def __init__(self, out, unused, catalog, folded_unused, by_service, minimal=True):
        self.out = out
        self.minimal = minimal  # False for a fitted refinement: its size bound is proved instead
        self.unused = unused
        self.catalog = catalog
        self.folded_unused = folded_unused
        self.sorted_unused = sorted(folded_unused)
        self.unused_by_service = by_service
        self.unused_services = sorted(fold(s) for s in unused.services)
        self.atoms = enc.Atoms()  # ground memberships, numbered across the plan

    def is_unused(self, folded: str) -> bool:
        return self.unused.is_unused(folded)

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
        if self.minimal:
            self._minimal(orig, originals, entries, hints)

    def _unknown_patterns(self, orig, changed: list[str], entries: list[str]) -> None:
        """A pattern that matches nothing known (no catalog action, no unused name, no string of
        a wholly unused service) stays allowed (docs/DESIGN.md section 1): one query each
        (unsat), unless one entry includes it."""
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
                self.out.problems.append(found_without_solver(orig.index, f"{text}: {problem}", MINIMAL))
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
        if self.minimal:
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
                    self.out.problems.append(found_without_solver(orig.index, f"{text}: no minimality "
                                                        "hint", MINIMAL))
                continue  # an unused name the catalog does not know, excluded as written
            problem = self._node_problem(text, hint, STAR, allowed)
            if problem:
                self.out.problems.append(found_without_solver(orig.index, f"{text}: {problem}", MINIMAL))
                continue
            unsafe, witness = hint["unsafe"], hint["witness"]
            var = f"w{n}"
            body += [f"(declare-const {var} String)",
                     f"(assert (= {var} {enc.string_literal(fold(witness))}))",
                     f"(assert (str.in_re {var} {enc.starts_with(unsafe)}))",
                     f"(assert (not (str.in_re {var} {enc.union(excluded)})))"]
            checks.append(Check(var, "", unsafe, "used"))
            # the witness may be of any service (a NotAction reaches them all): the checker
            # needs its service's names to see that it is a used catalog action
            self.out.services.add(fold(witness).split(":", 1)[0])
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
