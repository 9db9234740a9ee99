"""An exact brute-force oracle for sound, removes, complete and minimal, built on the reference
matcher (`verify_refine.spec.glob`) alone.

Why it is exact although `sound` quantifies over all strings
------------------------------------------------------------
Whether a string is in lang(p), for each pattern p of a finite set, depends only on the set of
pattern positions the reference matcher has reached after reading it (`glob.closure`/`glob.step`,
the very functions behind `glob.matches`). All characters that occur in no pattern behave alike
(only `?` and `*` read them), so the strings over the characters of the patterns plus ONE other
character reach every combination of position sets that any string reaches. `vectors()` enumerates
those strings shortest first and prunes a string whose combination of position sets was already
reached by a shorter one (its extensions behave exactly alike): the search visits finitely many
combinations and returns every reachable membership vector (which patterns the string is in),
each with a shortest witness string. Each `(action vector, resource vector, condition values)`
is then one class of requests, and a property holds iff it holds on every class. No sampling,
no bound on the length of the strings.

Actions are case-insensitive (folded with `glob.fold`, searched folded); resources are not.

Two definitions of the properties
---------------------------------
- Per statement (docs/DESIGN.md section 1), used for the obligation prover: for each Allow statement
  P_i and its refined counterpart R_i (paired as the hints say; none when removed), with
  lang(NotAction list) = every string in none of its entries:
  sound: lang(R_i) ⊆ lang(P_i) over all strings; removes: lang(R_i) ∩ U = ∅ where U holds the
  listed unused names and every string `svc:...` of a wholly unused service; complete:
  (lang(P_i) ∩ C) \\ U ⊆ lang(R_i); minimal: see `minimal_problem`.
- Whole policy (the semantics `verify` states, prove/whole/model.py's docstring), used for the
  whole verifier: a request (action, resource, condition values) is allowed when some Allow
  statement applies and no Deny does; a statement applies when its action element admits the
  action, its resource element the resource (Resource: some entry matches; NotResource: none;
  absent: all) and its condition context (canonical JSON of Condition/Principal/NotPrincipal,
  one boolean shared by both policies) is true. sound: every request REFINED allows ORIGINAL
  allows; removes: REFINED allows no request whose action is unused; complete: every request
  ORIGINAL allows whose action is a used catalog action REFINED allows.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import deque
from dataclasses import dataclass

from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.spec.glob import ONE, STAR, closure, fold, literal_head, states_after, step
from verify_refine.spec.tokens import token_parent, token_prefixes

SOUND, REMOVES, COMPLETE, MINIMAL = "sound", "removes", "complete", "minimal"
PROPERTIES = (SOUND, REMOVES, COMPLETE)
MAX_CLASSES = 200_000  # a guard: the search must stay small on the generated cases


class TooLarge(RuntimeError):
    pass


def _other(chars: set[str]) -> str:
    return next(ch for ch in "#~!%&=;,.^|" + "".join(map(chr, range(0x100, 0x200)))
                if ch not in chars and fold(ch) == ch)


class _Dfa:
    """The reference matcher's position sets for one (normalised) pattern, numbered, with each
    transition computed once by `glob.step` (a cache of the matcher, not a second matcher).
    Columns: the pattern's own literal characters, then one for every other character (which
    the pattern cannot tell apart). `rows[n][c]` is the state after column c in state n."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.chars = sorted({ch for ch in pattern if ch not in (STAR, ONE)})
        self.column = {ch: i for i, ch in enumerate(self.chars)}
        other = next(chr(c) for c in range(1, 0x110000)
                     if chr(c) not in self.column and chr(c) not in (STAR, ONE))
        reps = self.chars + [other]
        self.sets: list[frozenset[int]] = []
        self.ids: dict[frozenset[int], int] = {}
        self.accepting: list[bool] = []
        self.start = self.id(closure(pattern, {0}))
        self._last_letters: tuple[str, ...] | None = None
        self._last_table: list[list[int]] = []
        self.rows: list[list[int]] = []
        while len(self.rows) < len(self.sets):
            states = self.sets[len(self.rows)]
            self.rows.append([self.id(step(pattern, states, ch)) for ch in reps])

    def id(self, states: frozenset[int]) -> int:
        n = self.ids.get(states)
        if n is None:
            n = self.ids[states] = len(self.sets)
            self.sets.append(states)
            self.accepting.append(len(self.pattern) in states)
        return n

    def col(self, ch: str) -> int:
        return self.column.get(ch, len(self.chars))

    def run(self, n: int, text: str) -> int:
        for ch in text:
            n = self.rows[n][self.col(ch)]
        return n

    def table(self, letters: tuple[str, ...]) -> list[list[int]]:
        """The transition table over the given letters (the last one asked for is kept)."""
        if self._last_letters != letters:
            cols = [self.col(ch) for ch in letters]
            self._last_table = [[row[c] for c in cols] for row in self.rows]
            self._last_letters = letters
        return self._last_table


@functools.lru_cache(maxsize=4096)
def _dfa(pattern: str) -> _Dfa:
    return _Dfa(pattern)


def vectors(patterns, start: str = "", folding: bool = True) -> dict[tuple[bool, ...], str]:
    """Every membership vector over `patterns` that some string starting with `start` has,
    each with a shortest such string (exact; see the module docstring)."""
    norm = [fold(p) if folding else p for p in patterns]
    head = fold(start) if folding else start
    chars = {ch for p in norm for ch in p if ch not in (STAR, ONE)}
    letters = tuple(sorted(chars) + [_other(chars | set(head))])
    dfas = [_dfa(p) for p in norm]
    first = tuple(d.run(d.start, head) for d in dfas)
    rows = [d.table(letters) for d in dfas]
    accepting = [d.accepting for d in dfas]
    seen = {first}
    queue = deque([(first, start)])
    out: dict[tuple[bool, ...], str] = {}
    ks = range(len(letters))
    while queue:
        states, word = queue.popleft()
        vec = tuple([acc[n] for acc, n in zip(accepting, states)])
        if vec not in out:
            out[vec] = word
        tables = [r[n] for r, n in zip(rows, states)]
        for k in ks:
            nxt = tuple([t[k] for t in tables])
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, word + letters[k]))
        if len(seen) > MAX_CLASSES:
            raise TooLarge(f"more than {MAX_CLASSES} classes for {patterns}")
    return out


def match(pattern: str, text: str) -> bool:
    """glob.matches, through the cached state table of the pattern (same steps, computed once)."""
    d = _dfa(fold(pattern))
    return d.accepting[d.run(d.start, fold(text))]


def is_unused(unused: UnusedSet, action: str) -> bool:
    f = fold(action)
    return (any(fold(a) == f for a in unused.actions)
            or any(f.startswith(fold(s) + ":") for s in unused.services))


def catalog_actions(catalog: Catalog) -> list[str]:
    return [f"{s}:{n}" for s, names in catalog.services.items() for n in names]


def unused_classes(patterns, unused: UnusedSet) -> dict[tuple[bool, ...], str]:
    """The membership vectors (over `patterns`) of the unused actions: each listed name, and
    every string of each wholly unused service."""
    out = {}
    for name in unused.actions:
        out.setdefault(tuple(match(p, name) for p in patterns), name)
    for svc in unused.services:
        for vec, word in vectors(patterns, svc + ":").items():
            out.setdefault(vec, word)
    return out


# --- per statement (docs/DESIGN.md section 1) --------------------------------------------------------

def _admits(entries, negated: bool, vec_of) -> bool:
    hit = any(vec_of(e) for e in entries)
    return hit != negated


_VERDICT_CACHE: dict = {}


def statement_verdicts(orig: tuple[bool, list[str]], ref: tuple[bool, list[str]] | None,
                       unused: UnusedSet, catalog: Catalog) -> dict[str, str | None]:
    """For one Allow statement pair, each of sound/removes/complete: None when it holds, else a
    witness string. `orig`/`ref` are (is NotAction, entries); `ref` None when removed. (Pairs
    repeat across the corruptions of one policy: answers are kept for the last catalog and
    unused set.)"""
    if _VERDICT_CACHE.get("for") != (catalog, unused):
        _VERDICT_CACHE.clear()
        _VERDICT_CACHE["for"] = (catalog, unused)
    key = (orig[0], tuple(orig[1]), None if ref is None else (ref[0], tuple(ref[1])))
    if key not in _VERDICT_CACHE:
        _VERDICT_CACHE[key] = _statement_verdicts(orig, ref, unused, catalog)
    return dict(_VERDICT_CACHE[key])


def _statement_verdicts(orig, ref, unused: UnusedSet, catalog: Catalog) -> dict[str, str | None]:
    neg_o, ents_o = orig
    neg_r, ents_r = ref if ref is not None else (False, [])
    pats = list(dict.fromkeys(ents_o + ents_r))
    idx = {p: i for i, p in enumerate(pats)}

    def allowed(vec, negated, entries):
        return _admits(entries, negated, lambda e: vec[idx[e]])

    out: dict[str, str | None] = {SOUND: None, REMOVES: None, COMPLETE: None}
    for vec, word in vectors(pats).items():
        if allowed(vec, neg_r, ents_r) and not allowed(vec, neg_o, ents_o):
            out[SOUND] = word
            break
    for vec, word in unused_classes(pats, unused).items():
        if allowed(vec, neg_r, ents_r):
            out[REMOVES] = word
            break
    for action in catalog_actions(catalog):
        if is_unused(unused, action):
            continue
        vec = tuple(match(p, action) for p in pats)
        if allowed(vec, neg_o, ents_o) and not allowed(vec, neg_r, ents_r):
            out[COMPLETE] = action
            break
    return out


def _unused_in(origin: str | None, prefix: str, unused: UnusedSet) -> bool:
    """Some unused string (listed, or of a wholly unused service) starts with `prefix` and is in
    lang(origin) (any string when origin is None)."""
    p = fold(prefix)
    for name in unused.actions:
        if fold(name).startswith(p) and (origin is None or match(origin, name)):
            return True
    for svc in unused.services:
        head = fold(svc) + ":"
        longer = p if p.startswith(head) else head if head.startswith(p) else None
        if longer is not None and (origin is None or states_after(origin, longer)):
            return True
    return False


def meets_nothing_known(pattern: str, unused: UnusedSet, catalog: Catalog) -> bool:
    """lang(pattern) holds no catalog action and nothing unused (no listed name, no string of a
    wholly unused service): docs/DESIGN.md 1 keeps such a pattern as written."""
    if any(match(pattern, a) for a in catalog_actions(catalog)):
        return False
    if any(match(pattern, u) for u in unused.actions):
        return False
    return not any(states_after(pattern, s + ":") for s in unused.services)


def outside(pattern: str, entries) -> str | None:
    """A string of lang(pattern) in none of the entries' languages, or None (exact)."""
    pats = [pattern] + list(entries)
    for vec, word in vectors(pats).items():
        if vec[0] and not any(vec[1:]):
            return word
    return None


def minimal_problem(text: str, origin: str | None, not_action: bool, allowed_used,
                    catalog: Catalog, unused: UnusedSet) -> str | None:
    """The minimal property of one generated entry (None when it holds).

    Action list, entry `text` narrowed from original pattern `origin`: some token prefix q of a
    catalog action in lang(origin) is a prefix of the entry's literal head (the entry sits under
    trie node q), and q's token parent (or q itself, for an entry that spells q literally, i.e. a
    used action kept because its own wildcard is unsafe) admits an unused string inside
    lang(origin): the shorter prefix would not have been safe.
    NotAction list, added entry `text`: same with "admits a used catalog action the original
    statement allows" (`allowed_used`, folded) as what makes the shorter prefix unsafe."""
    head = fold(literal_head(text))
    pool = catalog_actions(catalog)
    if not not_action:
        pool = [a for a in pool if match(origin, a)]
    nodes = {fold(q) for a in pool for q in token_prefixes(a) if head.startswith(fold(q))}
    for q in sorted(nodes, key=len, reverse=True):
        unsafe = [fold(token_parent(q))]
        if q == fold(text):
            unsafe.append(q)
        for u in unsafe:
            if not_action:
                if any(a.startswith(u) for a in allowed_used):
                    return None
            elif _unused_in(origin, u, unused):
                return None
    return f"no token node under {text!r} whose shorter prefix is unsafe"


# --- whole policy (the semantics of `verify`) -----------------------------------------------------

@dataclass(frozen=True)
class Stmt:
    effect: str
    negated: bool
    actions: tuple[str, ...]
    resource: tuple[str, tuple[str, ...]] | None
    context: str | None


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def statements_of(doc: dict) -> list[Stmt]:
    stmts = doc["Statement"]
    out = []
    for s in [stmts] if isinstance(stmts, dict) else stmts:
        key = "Action" if "Action" in s else "NotAction"
        resource = None
        for kind in ("Resource", "NotResource"):
            if kind in s:
                resource = (kind, tuple(_as_list(s[kind])))
        ctx = {k: s[k] for k in ("Condition", "Principal", "NotPrincipal") if k in s}
        out.append(Stmt(s["Effect"], key == "NotAction", tuple(_as_list(s[key])), resource,
                        json.dumps(ctx, sort_keys=True) if ctx else None))
    return out


class WholeOracle:
    """Both policies' statements with the reference matcher; every class of requests."""

    def __init__(self, original: dict, refined: dict, unused: UnusedSet, catalog: Catalog):
        self.o, self.r = statements_of(original), statements_of(refined)
        self.unused, self.catalog = unused, catalog
        both = self.o + self.r
        self.apats = list(dict.fromkeys(p for s in both for p in s.actions))
        self.aidx = {p: i for i, p in enumerate(self.apats)}
        self.rpats = list(dict.fromkeys(p for s in both if s.resource for p in s.resource[1]))
        self.ridx = {p: i for i, p in enumerate(self.rpats)}
        self.contexts = sorted({s.context for s in both if s.context is not None})
        self.assignments = [dict(zip(self.contexts, bits)) for bits in
                            itertools.product((False, True), repeat=len(self.contexts))]
        self.resources = vectors(self.rpats, folding=False)

    def _applies(self, s: Stmt, av, rv, assignment) -> bool:
        if any(av[self.aidx[p]] for p in s.actions) == s.negated:
            return False
        if s.resource is not None:
            kind, pats = s.resource
            if any(rv[self.ridx[p]] for p in pats) != (kind == "Resource"):
                return False
        return s.context is None or assignment[s.context]

    def allows(self, stmts, av, rv, assignment) -> bool:
        live = [s for s in stmts if self._applies(s, av, rv, assignment)]
        return any(s.effect == "Allow" for s in live) and not any(s.effect == "Deny"
                                                                  for s in live)

    def _requests(self, action_classes):
        for av, action in action_classes.items():
            for rv, resource in self.resources.items():
                for assignment in self.assignments:
                    yield av, rv, assignment, action, resource

    def violation(self, prop: str):
        """None when the property holds, else (action, resource, condition values)."""
        if prop == SOUND:
            classes = vectors(self.apats)
        elif prop == REMOVES:
            classes = unused_classes(self.apats, self.unused)
        else:
            classes = {}
            for a in catalog_actions(self.catalog):
                if not is_unused(self.unused, a):
                    classes.setdefault(tuple(match(p, a) for p in self.apats), a)
        for av, rv, asg, action, resource in self._requests(classes):
            if self.violates(prop, av, rv, asg):
                return action, resource, asg
        return None

    def violates(self, prop, av, rv, asg) -> bool:
        allows_r = self.allows(self.r, av, rv, asg)
        if prop == SOUND:
            return allows_r and not self.allows(self.o, av, rv, asg)
        if prop == REMOVES:
            return allows_r
        return self.allows(self.o, av, rv, asg) and not allows_r

    def is_counterexample(self, prop: str, action: str, resource: str) -> bool:
        """A concrete request violates the property for some condition values."""
        av = tuple(match(p, action) for p in self.apats)
        rv = tuple(_resource_match(p, resource) for p in self.rpats)
        if prop == REMOVES and not is_unused(self.unused, action):
            return False
        if prop == COMPLETE and (self.catalog.canonical(action) is None
                                 or is_unused(self.unused, action)):
            return False
        return any(self.violates(prop, av, rv, asg) for asg in self.assignments)


def _resource_match(pattern: str, text: str) -> bool:
    s = closure(pattern, {0})
    for ch in text:
        s = step(pattern, s, ch)
    return len(pattern) in s
