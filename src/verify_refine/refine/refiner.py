"""The refiner: narrow each Allow statement's actions to shortest safe token prefixes (pure functions)."""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass

from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.model import Pattern, Policy, Statement
from ..spec.glob import STAR, fold, has_wildcard, literal_head, states_after, with_prefix
from ..spec.languages import fast_match, includes
from . import trie
from .unused_index import UnusedIndex

KEPT, DROPPED, NARROWED = "kept", "dropped", "narrowed"


@dataclass(frozen=True)
class Entry:
    """One entry of a refined action list, with where it came from.

    `origin` is the original pattern whose language contains this entry's. For a generated
    entry, `parent` is what its parent token prefix would have emitted and `witness` the reason
    that parent is not safe (the minimal property): in an Action list, an unused action the
    parent would allow; in a NotAction list, a used action the parent would exclude.
    """

    text: str
    origin: str
    origin_index: int
    generated: bool
    parent: tuple[str, ...] = ()
    witness: str | None = None
    prefix: str | None = None  # the token-trie node a generated entry was emitted for
    unsafe: str | None = None  # the prefix shown unsafe: the node's token parent, or the node


@dataclass(frozen=True)
class PatternOutcome:
    """What became of one original pattern: kept verbatim, dropped, or narrowed to entries."""

    index: int
    pattern: Pattern
    status: str
    removed: tuple[str, ...]  # the unused actions (and svc:* services) it admitted
    entries: tuple[Entry, ...]
    catalog_matches: int  # catalog actions in lang(pattern)


@dataclass(frozen=True)
class StatementResult:
    """One statement before and after: its refined action list, or None when it is removed."""

    statement: Statement
    outcomes: tuple[PatternOutcome, ...]  # for Action lists
    added: tuple[Entry, ...]  # for NotAction: entries added to the list
    entries: tuple[Entry, ...] | None  # the refined list; None when the statement goes
    changed: bool

    @property
    def removed_statement(self) -> bool:
        return self.entries is None


@dataclass(frozen=True)
class Refinement:
    """The whole result: every statement's outcome, plus what the user must be told."""

    policy: Policy
    statements: tuple[StatementResult, ...]
    catalog: Catalog
    unused: UnusedSet
    warnings: tuple[str, ...]

    @property
    def detach(self) -> bool:
        """No Allow statement is left: the policy grants nothing and can be detached."""
        return not any(r.statement.effect == "Allow" and not r.removed_statement
                       for r in self.statements)


def refine(policy: Policy, catalog: Catalog, unused: UnusedSet) -> Refinement:
    """Refine every Allow statement of a policy by the unused set over the catalog."""
    index = UnusedIndex(unused)
    results, warnings = [], []
    for stmt in policy.statements:
        if stmt.effect != "Allow" or stmt.action_key is None:
            results.append(StatementResult(stmt, (), (), _verbatim(stmt), False))
        elif stmt.action_key == "Action":
            results.append(_refine_action(stmt, catalog, index))
        else:
            results.append(_refine_not_action(stmt, catalog, index))
    known: dict[str, bool] = {}  # folded pattern -> matches some catalog action
    for stmt, result in zip(policy.statements, results):
        dropped = {o.index for o in result.outcomes if o.status == DROPPED}
        for pos, pat in enumerate(stmt.patterns):
            key = fold(pat.text)
            if key not in known:
                known[key] = bool(catalog.matching(pat.text))
            if not known[key]:
                fate = "removed as unused" if pos in dropped else "kept as written"
                warnings.append(_where(policy, pat) + f'"{pat.text}" matches no action in the '
                                f"catalog ({catalog.label}); {fate}")
    return Refinement(policy, tuple(results), catalog, unused, tuple(warnings))


def _where(policy: Policy, pat: Pattern) -> str:
    if pat.span is None:
        return f"{policy.source}: "
    return f"{policy.source}:{pat.span.line}:{pat.span.column}: "


def _verbatim(stmt: Statement) -> tuple[Entry, ...]:
    return tuple(Entry(p.text, p.text, i, False) for i, p in enumerate(stmt.patterns))


# ---------------------------------------------------------------- Action lists


def _refine_action(stmt: Statement, catalog: Catalog, index: UnusedIndex) -> StatementResult:
    first: dict[str, PatternOutcome] = {}  # folded pattern -> its first occurrence's outcome
    outcomes = []
    for i, p in enumerate(stmt.patterns):
        twin = first.get(fold(p.text))
        if twin is None:
            outcome = first[fold(p.text)] = refine_pattern(i, p, catalog, index)
        elif twin.status == KEPT:
            outcome = dataclasses.replace(twin, index=i, pattern=p,
                                          entries=(Entry(p.text, p.text, i, False),))
        else:  # a repeat of a pattern already narrowed or dropped: its entries stand for both
            outcome = dataclasses.replace(twin, index=i, pattern=p, entries=())
        outcomes.append(outcome)
    outcomes = tuple(outcomes)
    if all(o.status == KEPT for o in outcomes):
        return StatementResult(stmt, outcomes, (), _verbatim(stmt), False)
    entries = without_subsumed([e for o in outcomes for e in o.entries])
    return StatementResult(stmt, outcomes, (), tuple(entries) or None, True)


def refine_pattern(position: int, pattern: Pattern, catalog: Catalog,
                   index: UnusedIndex) -> PatternOutcome:
    """Keep, drop or narrow one pattern of an Allow statement's Action list."""
    text = pattern.text
    matched = catalog.matching(text)
    removed = index.admitted_by(text)
    if not removed:
        entry = Entry(text, text, position, False)
        return PatternOutcome(position, pattern, KEPT, (), (entry,), len(matched))
    names = tuple(index.name(u) for u in removed)
    if not has_wildcard(text):
        return PatternOutcome(position, pattern, DROPPED, names, (), len(matched))
    walker = _Walker(text, position, matched, catalog, index)
    walker.visit(trie.build([catalog.canonical(a) for a in matched]), (), None, "")
    status = NARROWED if walker.entries else DROPPED
    return PatternOutcome(position, pattern, status, names, tuple(walker.entries), len(matched))


class _Walker:
    """Walks the token trie of one pattern's catalog matches, emitting shortest safe nodes."""

    def __init__(self, pattern: str, position: int, matched: list[str], catalog: Catalog,
                 index: UnusedIndex):
        self.pattern = pattern
        self.position = position
        self.matched = matched  # folded, sorted
        self.catalog = catalog
        self.index = index
        self.unused_here = index.literals_in(pattern)  # folded, sorted
        self.entries: list[Entry] = []

    def visit(self, node: trie.Node, parent: tuple[str, ...], parent_witness: str | None,
              parent_prefix: str):
        emitted = emission(self.pattern, node.prefix)
        witness = self.unsafe_witness(node.prefix)
        if node.prefix and witness is None:
            covered = self.covered(node.prefix)
            # A piece that matches no catalog action here grants nothing but future actions.
            texts = ((self.catalog.canonical(covered[0]),) if len(covered) == 1 else
                     tuple(t for t in emitted if any(fast_match(t, a) for a in covered)))
            for text in texts:
                self.entries.append(Entry(text, self.pattern, self.position, True,
                                          parent, parent_witness, node.prefix, parent_prefix))
            return
        if node.action is not None and not self.index.is_unused(node.action):
            # The node's wildcard is unsafe but the action it spells is used: keep it literally.
            self.entries.append(Entry(node.action, self.pattern, self.position, True,
                                      emitted, witness, node.prefix, node.prefix))
        for child in node.ordered_children():
            self.visit(child, emitted, witness, node.prefix)

    def unsafe_witness(self, prefix: str) -> str | None:
        """An unused action (or `svc:*`) that lang(pattern) ∩ prefix·Σ* admits, if any."""
        folded = fold(prefix)
        i = bisect.bisect_left(self.unused_here, folded)
        if i < len(self.unused_here) and self.unused_here[i].startswith(folded):
            return self.index.name(self.unused_here[i])
        if not folded:
            services = self.index.services_meeting(self.pattern)
            return services[0] if services else None
        service = folded.split(":", 1)[0]
        return f"{service}:*" if service in self.index.services and ":" in folded else None

    def covered(self, prefix: str) -> list[str]:
        folded = fold(prefix)
        return with_prefix(self.matched, folded)


def emission(pattern: str, prefix: str) -> tuple[str, ...]:
    """Globs whose union is lang(pattern) ∩ prefix·Σ*: the prefix, then each way the pattern can go on.

    For `s3:Get*` and prefix `s3:GetObject` this is (`s3:GetObject*`,); for `s3:*Object*` and
    `s3:GetObject` it is (`s3:GetObject*`,), since `s3:GetObject*Object*` lies inside it.
    """
    if not prefix:
        return (pattern,)
    head, rest = literal_head(pattern), pattern[len(literal_head(pattern)):]
    if rest and rest.strip(STAR) == "" and len(prefix) > len(head):
        return (prefix + STAR,)  # `head*`: every string under the prefix is allowed
    states = sorted(states_after(pattern, prefix))
    if fold(head) == fold(prefix) and states == [len(prefix)]:
        return (pattern,)
    rests = [pattern[j:] for j in states]
    if any(rest and rest.strip(STAR) == "" for rest in rests):
        return (prefix + STAR,)  # one way on is "anything": the whole of prefix·Σ*
    return tuple(without_subsumed_texts([prefix + rest for rest in rests]))


# ---------------------------------------------------------------- NotAction lists


def _refine_not_action(stmt: Statement, catalog: Catalog, index: UnusedIndex) -> StatementResult:
    existing = [p.text for p in stmt.patterns]

    def excluded(folded_action: str) -> bool:
        return any(fast_match(n, folded_action) for n in existing)

    allowed = [a for a in catalog.with_prefix("") if not excluded(a)]
    if all(index.is_unused(a) for a in allowed):  # no used catalog action is left to allow
        return StatementResult(stmt, (), (), None, True)
    literals = [u for u in index.literals if not excluded(u)]
    services = [s for s in index.services
                if not any(includes(f"{s}:*", n) for n in existing)]
    if not literals and not services:
        return StatementResult(stmt, (), (), _verbatim(stmt), False)
    touched = sorted({u.split(":", 1)[0] for u in literals} | set(services))
    in_scope = [a for a in allowed if a.split(":", 1)[0] in touched]
    walker = _NotActionWalker(stmt, in_scope, allowed, catalog, index)
    walker.visit(trie.build([catalog.canonical(a) for a in in_scope]), "", None)
    known = set(in_scope)
    for u in literals:  # unused names the catalog does not know: excluded one by one
        if u not in known:
            walker.add(index.name(u), walker.used_under(""))
    for s in services:  # unused services with nothing left in the catalog
        if not any(a.startswith(s + ":") for a in in_scope):
            walker.add(f"{s}:*", walker.used_under(""))
    added = tuple(e for e in without_subsumed(_verbatim(stmt) + tuple(walker.added))
                  if e.generated)
    return StatementResult(stmt, (), added, _verbatim(stmt) + added, True)


class _NotActionWalker:
    """Finds the shortest prefixes whose allowed catalog actions are all unused."""

    def __init__(self, stmt, in_scope, allowed, catalog, index):
        self.stmt = stmt
        self.in_scope = in_scope  # folded, sorted: allowed actions of services with unused ones
        self.allowed = allowed
        self.catalog = catalog
        self.index = index
        self.added: list[Entry] = []

    def add(self, text: str, witness: str | None, parent: tuple[str, ...] = (),
            prefix: str | None = None, unsafe: str | None = None):
        self.added.append(Entry(text, text, len(self.stmt.patterns) + len(self.added), True,
                                parent, witness, prefix, unsafe))

    def used_under(self, folded_prefix: str) -> str | None:
        """A used catalog action the statement allows under a prefix (None if all are unused)."""
        pool = self.allowed if not folded_prefix else self._range(folded_prefix)
        return next((self.catalog.canonical(a) for a in pool if not self.index.is_unused(a)),
                    None)

    def _range(self, folded_prefix: str) -> list[str]:
        return with_prefix(self.in_scope, folded_prefix)

    def visit(self, node: trie.Node, parent_prefix: str, parent_used: str | None) -> None:
        folded = fold(node.prefix)
        under = self._range(folded)
        if not any(self.index.is_unused(a) for a in under):
            return
        used = self.used_under(folded)
        if node.prefix and used is None:
            whole_service = fold(node.prefix)[:-1] in self.index.services
            single = len(under) == 1 and not whole_service  # a wholly unused service: every
            text = self.catalog.canonical(under[0]) if single else node.prefix + STAR  # string
            self.add(text, parent_used, (parent_prefix + STAR,), node.prefix, parent_prefix)
            return
        if node.action is not None and self.index.is_unused(node.action):
            self.add(node.action, used, (node.prefix + STAR,), node.prefix, node.prefix)
        for child in node.ordered_children():
            self.visit(child, node.prefix, used)


# ---------------------------------------------------------------- lists without redundancy


def without_subsumed_texts(texts: list[str]) -> list[str]:
    return [e.text for e in without_subsumed([Entry(t, t, 0, True) for t in texts])]


def without_subsumed(entries) -> list[Entry]:
    """Drop entries equal to or inside another entry's language; the first of equals stays."""
    unique: dict[str, Entry] = {}
    for e in entries:  # repeats first, in one pass: a list of copies costs no more than one
        unique.setdefault(fold(e.text), e)
    entries = list(unique.values())
    by_head: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_head.setdefault(fold(literal_head(e.text)), []).append(i)
    kept = []
    for i, e in enumerate(entries):
        head = fold(literal_head(e.text))
        redundant = False
        for cut in range(len(head) + 1):
            for j in by_head.get(head[:cut], ()):
                if j == i or not includes(e.text, entries[j].text):
                    continue
                # Equal languages: the earlier one stays. Strictly inside: this one goes.
                if j < i or not includes(entries[j].text, e.text):
                    redundant = True
                    break
            if redundant:
                break
        if not redundant:
            kept.append(e)
    return kept
