"""Reference IAM matching (`*`, `?`, case-insensitive): the executable spec everything is tested against."""

from __future__ import annotations

import bisect
import functools

STAR = "*"
ONE = "?"


def fold(text: str) -> str:
    """The case folding IAM applies to action names: lower-case, character by character."""
    if text.isascii():
        return text.lower()
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def has_wildcard(pattern: str) -> bool:
    return STAR in pattern or ONE in pattern


def literal_head(pattern: str) -> str:
    """The text before the first wildcard: every string the pattern matches starts with it."""
    cuts = [i for i in (pattern.find(STAR), pattern.find(ONE)) if i >= 0]
    return pattern[:min(cuts)] if cuts else pattern


def closure(pattern: str, states: set[int]) -> frozenset[int]:
    """Add the positions reachable by letting a `*` match the empty string."""
    out = set(states)
    todo = list(states)
    while todo:
        i = todo.pop()
        if i < len(pattern) and pattern[i] == STAR and i + 1 not in out:
            out.add(i + 1)
            todo.append(i + 1)
    return frozenset(out)


def step(pattern: str, states: frozenset[int], ch: str) -> frozenset[int]:
    """Positions of a folded pattern reached after reading one folded character."""
    nxt = set()
    for i in states:
        if i < len(pattern):
            c = pattern[i]
            if c == STAR:
                nxt.add(i)
            elif c == ONE or c == ch:
                nxt.add(i + 1)
    return closure(pattern, nxt)


def states_after(pattern: str, prefix: str) -> frozenset[int]:
    """Positions of `pattern` (folded) that can be reached after reading `prefix` (folded)."""
    p = fold(pattern)
    states = closure(p, {0})
    for ch in fold(prefix):
        if not states:
            break
        states = step(p, states, ch)
    return states


@functools.lru_cache(maxsize=1 << 16)
def matches(pattern: str, text: str) -> bool:
    """True when the whole of `text` is in lang(pattern), ignoring case (remembered: guards
    ask the same few patterns about the same catalog names for every principal)."""
    return len(pattern) in states_after(pattern, text)


def prefix_bounds(names: list[str], prefix: str) -> tuple[int, int]:
    """The slice of a sorted list holding exactly the names that start with `prefix`.

    Sorting is prefix-monotone (a <= b implies a[:k] <= b[:k]), so the end of the range is
    found by comparing each name's first len(prefix) characters: no sentinel character, which
    would miss a name whose next character is that sentinel (U+10FFFF)."""
    lo = bisect.bisect_left(names, prefix)
    hi = bisect.bisect_right(names, prefix, lo=lo, key=lambda name: name[:len(prefix)])
    return lo, hi


def with_prefix(names: list[str], prefix: str) -> list[str]:
    """The names of a sorted list that start with `prefix`, in order."""
    lo, hi = prefix_bounds(names, prefix)
    return names[lo:hi]
