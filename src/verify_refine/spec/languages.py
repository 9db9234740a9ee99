"""Operations on glob languages: fast matching, intersection and inclusion, with witnesses."""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache

from .glob import ONE, STAR, closure, fold, literal_head, step


class _Piece:
    """A run of a pattern between two `*`: literal characters and `?`, of a fixed length."""

    def __init__(self, text: str):
        self.size = len(text)
        self.plain = text if ONE not in text else None
        # `?` is any one character; a piece is fixed-length, so its regex cannot backtrack.
        self.regex = None if self.plain is not None else re.compile(
            "".join("." if ch == ONE else re.escape(ch) for ch in text), re.DOTALL)

    def at(self, text: str, pos: int) -> bool:
        """Does the piece match text[pos:pos + size]?"""
        if self.plain is not None:
            return text.startswith(self.plain, pos)
        return self.regex.match(text, pos, pos + self.size) is not None

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost position >= start where the piece matches inside text[:end], or -1."""
        if self.plain is not None:
            return text.find(self.plain, start, end)
        found = self.regex.search(text, start, end)
        return -1 if found is None else found.start()


@lru_cache(maxsize=65536)
def _pieces(pattern: str) -> tuple[_Piece, ...]:
    return tuple(_Piece(part) for part in fold(pattern).split(STAR))


def fast_match(pattern: str, folded_text: str) -> bool:
    """glob.matches for text already folded, in time linear in the pattern and the text.

    The pattern is split at its stars into fixed-length pieces: the first must match at the
    start, the last at the end, and each one between at its leftmost place after the one
    before (placing a piece further left never stops the rest from matching), so no choice is
    ever undone, however many stars the pattern holds."""
    pieces = _pieces(pattern)
    first, last = pieces[0], pieces[-1]
    if len(pieces) == 1:
        return len(folded_text) == first.size and first.at(folded_text, 0)
    end = len(folded_text) - last.size
    if end < first.size or not first.at(folded_text, 0) or not last.at(folded_text, end):
        return False
    pos = first.size
    for piece in pieces[1:-1]:
        found = piece.find(folded_text, pos, end) if piece.size else pos
        if found < 0:
            return False
        pos = found + piece.size
    return True


def _alphabet(*patterns: str) -> list[str]:
    """One representative character per class: each literal in the patterns, plus one other."""
    chars = sorted({ch for p in patterns for ch in p if ch not in (STAR, ONE)})
    other = next(chr(c) for c in range(0x21, 0x110000) if chr(c) not in chars
                 and chr(c) not in (STAR, ONE))
    return chars + [other]


def _search(a: str, b: str, want):
    """Breadth-first search over pairs of state sets; returns the first string satisfying `want`."""
    pa, pb = fold(a), fold(b)
    start = (closure(pa, {0}), closure(pb, {0}))
    seen = {start: ""}
    queue = deque([start])
    letters = _alphabet(pa, pb)
    while queue:
        sa, sb = queue.popleft()
        word = seen[(sa, sb)]
        if want(len(pa) in sa, len(pb) in sb):
            return word
        if not sa:
            continue
        for ch in letters:
            nxt = (step(pa, sa, ch), step(pb, sb, ch))
            if nxt[0] and nxt not in seen:
                seen[nxt] = word + ch
                queue.append(nxt)
    return None


@lru_cache(maxsize=65536)
def intersection_witness(a: str, b: str) -> str | None:
    """A shortest folded string in lang(a) and lang(b), or None when they are disjoint."""
    return _search(a, b, lambda in_a, in_b: in_a and in_b)


def intersects(a: str, b: str) -> bool:
    return intersection_witness(a, b) is not None


@lru_cache(maxsize=65536)
def escape_witness(a: str, b: str) -> str | None:
    """A shortest folded string in lang(a) but not in lang(b), or None when lang(a) ⊆ lang(b)."""
    return _search(a, b, lambda in_a, in_b: in_a and not in_b)


def literal_tail(pattern: str) -> str:
    """The text after the last wildcard: every string the pattern matches ends with it."""
    for i in range(len(pattern) - 1, -1, -1):
        if pattern[i] in (STAR, ONE):
            return pattern[i + 1:]
    return pattern


def includes(inner: str, outer: str) -> bool:
    """True when lang(inner) ⊆ lang(outer)."""
    fi, fo = fold(inner), fold(outer)
    if fi == fo or (fo and fo.strip(STAR) == ""):
        return True
    if STAR not in fi and ONE not in fi:
        return fast_match(fo, fi)
    # Necessary conditions: the outer pattern's literal head and tail bound every inner string.
    if not fi.startswith(literal_head(fo)) or not fi.endswith(literal_tail(fo)):
        return False
    return escape_witness(fi, fo) is None
