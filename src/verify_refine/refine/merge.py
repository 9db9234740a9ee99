"""Merging entries of a cover into one wildcard with `?` or an inner `*` where that saves characters."""

from __future__ import annotations

from ..spec.glob import ONE, STAR, fold, literal_head
from ..spec.languages import fast_match
from .cover import PatternCover, entry_cost
from .refiner import Entry

WINDOW = 3  # an entry is merged with the next few in sorted order: siblings sort together
REACH = 12  # and a merge replaces entries among the next dozen (later ones inside it are
# dropped when the statement's list is rebuilt, as any entry inside another is)


def merges(a: str, b: str) -> list[str]:
    """The wildcards that hold both entries: their common head and tail around a `*`, and,
    for two literals of one length that differ in one character, `?` there."""
    out = []
    if STAR not in a + b and ONE not in a + b and len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(fold(a), fold(b))) if x != y]
        if len(differ) == 1:
            out.append(a[:differ[0]] + ONE + a[differ[0] + 1:])
    fa, fb = fold(a), fold(b)
    head = 0
    while head < min(len(fa), len(fb)) and fa[head] == fb[head] and fa[head] not in "*?":
        head += 1
    tail = 0
    while (tail < min(len(fa), len(fb)) - head and fa[-1 - tail] == fb[-1 - tail]
           and fa[-1 - tail] not in "*?"):
        tail += 1
    ends = STAR if a.endswith(STAR) or b.endswith(STAR) else ""
    if tail or ends:
        out.append(a[:head] + STAR + (a[len(a) - tail:] if tail else "") + ends)
    return [glob.replace(STAR + STAR, STAR) for glob in out]


def cover_entries(search: PatternCover) -> tuple[Entry, ...]:
    """The pattern's best cover of the family, then merged: the entries --fit writes for it."""
    return tuple(Entry(text, search.pattern, search.position, True, prefix=node)
                 for text, node in merged(search, search.best()))


def inside(entry: str, glob: str) -> bool:
    """lang(entry) ⊆ lang(glob), exactly, for a literal entry or a `prefix*` one (False for
    any other entry, which a merge then leaves in place)."""
    e, g = fold(entry), fold(glob)
    body = e.rstrip(STAR)
    if STAR not in e and ONE not in e:
        return fast_match(g, e)
    if body != literal_head(body) or not g.endswith(STAR):
        return False
    rest = g.rstrip(STAR)  # prefix·Σ* ⊆ rest·Σ* iff some prefix of `prefix` is in lang(rest)
    return any(fast_match(rest, body[:k]) for k in range(len(literal_head(rest)),
                                                          len(body) + 1))


def merged(search: PatternCover, entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The cover with merges applied, in passes over the entries in sorted order until one
    changes nothing: at each entry, the merge with one of the next few that saves the most
    characters, when the search admits it (inside the pattern, nothing unused); it replaces
    every later entry inside it. Each merge saves characters, so the passes end, and the
    result covers what the entries covered, as a merge includes what it replaces."""
    current, changed = list(entries), True
    while changed:
        ordered = sorted(current, key=lambda entry: fold(entry[0]))
        current, changed, gone_before = [], False, set()
        for i, (a, node) in enumerate(ordered):
            if i in gone_before:
                continue
            best = _best_merge(search, ordered, i, gone_before)
            if best is None:
                current.append((a, node))
                continue
            glob, gone = best
            gone_before.update(gone)
            current.append((glob, literal_head(glob)))
            changed = True
    return current


def _best_merge(search: PatternCover, ordered, i: int, gone_before: set):
    """The merge of entry i with one of the next WINDOW that saves the most, with the later
    entries it holds, or None."""
    best, a = None, ordered[i][0]
    for j in range(i + 1, min(len(ordered), i + 1 + WINDOW)):
        if j in gone_before:
            continue
        for glob in merges(a, ordered[j][0]):
            head = fold(literal_head(glob))
            if ":" not in head:
                continue  # never across services
            gone = []
            for k in range(i, min(len(ordered), i + REACH)):
                if not fold(ordered[k][0]).startswith(head):
                    break
                if k not in gone_before and inside(ordered[k][0], glob):
                    gone.append(k)
            saved = sum(entry_cost(ordered[k][0]) for k in gone) - entry_cost(glob)
            if saved > 0 and (best is None or saved > best[0]) and search.admissible(glob):
                best = (saved, glob, gone)
    return None if best is None else best[1:]
