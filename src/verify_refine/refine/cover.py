"""The smallest safe cover of one narrowed pattern, exact over literals and prefix wildcards."""

from __future__ import annotations

import bisect

from ..spec.alphabet import pattern_problem
from ..spec.glob import STAR, fold, literal_head
from ..spec.languages import fast_match
from .refiner import Entry, emission

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
        """(size, open prefixes, entries, prefixes) of the best cover of K[lo:hi], whose
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

    def entries(self) -> tuple[Entry, ...]:
        return tuple(Entry(text, self.pattern, self.position, True, prefix=node)
                     for text, node in self.best())

    def exposure(self, texts) -> int:
        """Open prefixes: prefixes of K's names (at least the pattern's literal head long)
        under which the entries admit every string, i.e. where a future action is granted."""
        by_head: dict[str, list[str]] = {}
        for text in texts:
            if text.endswith(STAR):
                by_head.setdefault(fold(literal_head(text)), []).append(text)
        opened = set()
        for name in self.keep:
            near = [t for cut in range(len(name) + 1) for t in by_head.get(name[:cut], ())]
            shortest = min(filter(lambda k: k is not None,
                                  (self._opens_at(t, name) for t in near)), default=None)
            if shortest is not None:
                opened.update(name[:cut] for cut in range(max(shortest, len(self.head)),
                                                          len(name) + 1))
        return len(opened)

    @staticmethod
    def _opens_at(text: str, name: str) -> int | None:
        """The shortest length k with name[:k]·Σ* inside lang(text), or None (the text must
        end in `*`; then a prefix of the name matching the rest of the text suffices)."""
        if not text.endswith(STAR):
            return None
        body = fold(text.rstrip(STAR))
        if body == literal_head(body):  # `prefix*`: open from the prefix on
            return len(body) if name.startswith(body) else None
        for k in range(len(literal_head(body)), len(name) + 1):
            if fast_match(body, name[:k]):
                return k
        return None
