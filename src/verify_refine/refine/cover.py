"""The smallest safe cover of one narrowed pattern, exact over literals and prefix wildcards."""

from __future__ import annotations

import bisect

from ..spec.alphabet import pattern_problem
from ..spec.glob import ONE, STAR, closure, fold, literal_head, states_after, step, with_prefix
from ..spec.languages import fast_match, includes
from .refiner import emission

ENTRY_OVERHEAD = 3  # two quotes and a comma: what an entry adds to a JSON list beyond its text


def entry_cost(text: str) -> int:
    """IAM characters an entry adds to an action list (action names hold no escapes)."""
    return len(text) + ENTRY_OVERHEAD


class PatternCover:
    """The used catalog actions of one pattern (K), what may not be admitted (unused names in
    the pattern, wholly unused services), and the cover search over K's character trie."""

    def __init__(self, pattern: str, position: int, matched: list[str], catalog, index):
        self.pattern = pattern
        self.position = position
        self.catalog = catalog
        self.head = fold(literal_head(pattern))
        self.keep = [a for a in matched if not index.is_unused(a)]  # folded, sorted
        self.forbidden = index.literals_in(pattern)  # folded, sorted
        self.dead = index.services
        self.simple = pattern[len(literal_head(pattern)):].strip(STAR) == "" and \
            STAR in pattern
        self._known: set[str] | None = None  # every prefix of a name of K, when asked

    def safe(self, prefix: str) -> bool:
        """Does lang(pattern) ∩ prefix·Σ* hold no unused name and no unused service string?"""
        i = bisect.bisect_left(self.forbidden, prefix)
        if i < len(self.forbidden) and self.forbidden[i].startswith(prefix):
            return False
        if ":" in prefix:
            return prefix.split(":", 1)[0] not in self.dead
        return not any((s + ":").startswith(prefix) for s in self.dead)

    def glob(self, lo: int, hi: int, depth: int) -> tuple[str, ...]:
        """The entries standing for every string of the pattern under K[lo][:depth]: the
        emission of that prefix, less the pieces that match no action of K under it (a
        candidate is dropped when one of them is not a pattern IAM takes)."""
        prefix = self.catalog.canonical(self.keep[lo])[:depth]
        texts = emission(self.pattern, prefix)
        if len(texts) == 1:
            return texts
        return tuple(t for t in texts if any(fast_match(t, a) for a in self.keep[lo:hi]))

    def best(self) -> list[tuple[str, str]]:
        """The cover of smallest size, and least exposure among those: (text, node) pairs."""
        if not self.keep:
            return []
        return self._solve(0, len(self.keep), len(self.head))[2]

    def _solve(self, lo: int, hi: int, depth: int):
        """(size, branch points, entries, prefixes) of the best cover of K[lo:hi], whose
        names share their first `depth` characters (prefixes: how many distinct prefixes of
        length >= depth they have); a unary run of the trie is handled at once."""
        first, last = self.keep[lo], self.keep[hi - 1]
        branch = depth
        while branch < min(len(first), len(last)) and first[branch] == last[branch]:
            branch += 1
        nodes, split_size, split_entries = branch - depth + 1, 0, []
        start = lo
        if len(first) == branch:  # an action ends here: kept literally
            split_size += entry_cost(first)
            split_entries.append((self.catalog.canonical(first), first))
            start += 1
        split_open = 0
        while start < hi:
            end = start
            while end < hi and self.keep[end][branch] == self.keep[start][branch]:
                end += 1
            size, opened, entries, below = self._solve(start, end, branch + 1)
            split_size += size
            split_open += opened
            split_entries += entries
            nodes += below
            start = end
        options = [(split_size, split_open, split_entries)]
        for cut in range(depth, branch + 1):
            if not self.safe(first[:cut]):
                continue
            texts = self.glob(lo, hi, cut)
            if any(pattern_problem(t) for t in texts):
                continue  # IAM takes no `s*`: a wildcard before the service's colon is `*` alone
            opened = nodes - (cut - depth) if all(t.endswith(STAR) for t in texts) else 0
            options.append((sum(map(entry_cost, texts)), opened,
                            [(t, self.catalog.canonical(first)[:cut]) for t in texts]))
            if self.simple:
                break  # a longer prefix writes a longer `prefix*`: the shortest safe one wins
        return (*min(options, key=lambda option: option[:2]), nodes)

    def admissible(self, text: str) -> bool:
        """May an entry stand for part of the pattern: an action pattern IAM takes, inside
        lang(pattern), admitting no unused name of it and no string of an unused service?"""
        if pattern_problem(text) or not includes(text, self.pattern):
            return False
        head = fold(literal_head(text))
        if any(fast_match(text, u) for u in with_prefix(self.forbidden, head)):
            return False
        return not any(states_after(text, s + ":") for s in self.dead)

    def exposure(self, texts) -> int:
        """Branch points: prefixes x of K's names (at least the pattern's literal head long)
        after which some entry admits a character no name of K has there, so that a name AWS
        has not published is granted. `prefix*` opens every x from the prefix on; `a?c` only
        the x before its `?`; a literal, none."""
        by_head: dict[str, list[str]] = {}
        for text in texts:
            if STAR in text or ONE in text:
                by_head.setdefault(fold(literal_head(text)), []).append(fold(text))
        opened: set[str] = set()
        for name in self.keep:
            for cut in range(len(self.head), len(name) + 1):
                for text in by_head.get(name[:cut], ()):
                    opened.update(self._branch_points(text, name))
        return len(opened)

    def _branch_points(self, text: str, name: str) -> list[str]:
        """The prefixes of a name of K at which the (folded) entry branches off K."""
        body = text.rstrip(STAR)
        if body == literal_head(body) and body != text:  # `prefix*`: from the prefix on
            return [name[:k] for k in range(len(body), len(name) + 1)]
        if self._known is None:
            self._known = {name[:k] for name in self.keep for k in range(len(name) + 1)}
        points, states = [], closure(text, {0})
        for k in range(len(name) + 1):
            if not states:
                break
            nexts = [text[i] for i in states if i < len(text)]
            if k >= len(self.head) and (STAR in nexts or ONE in nexts or any(
                    name[:k] + c not in self._known for c in nexts)):
                points.append(name[:k])
            if k < len(name):
                states = step(text, states, name[k])
        return points
