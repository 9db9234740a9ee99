"""SMT-LIB2 regexes of patterns: union, intersection, complement, and tries of literal heads.

Sets of patterns are written as tries of their literal heads (see `trie_union`): Z3 decides
membership in a flat union of many literals slowly, in a trie fast.
"""

from __future__ import annotations

import functools
import itertools

from ...spec.glob import ONE, STAR, fold, literal_head
from .. import encode

ALL, NONE = "re.all", "re.none"


def re_union(xs) -> str:
    xs = tuple(dict.fromkeys(x for x in xs if x != NONE))
    if ALL in xs:
        return ALL
    if not xs:
        return NONE
    return xs[0] if len(xs) == 1 else f"(re.union {' '.join(xs)})"


def re_inter(xs) -> str:
    xs = tuple(dict.fromkeys(x for x in xs if x != ALL))
    if NONE in xs:
        return NONE
    if not xs:
        return ALL
    return xs[0] if len(xs) == 1 else f"(re.inter {' '.join(xs)})"


def re_comp(x: str) -> str:
    if x == ALL:
        return NONE
    if x == NONE:
        return ALL
    return f"(re.comp {x})"


def resource_regex(pattern: str) -> str:
    """The regex of a resource pattern, case kept (ARNs are case-sensitive)."""
    parts, run = [], []
    for ch in pattern:
        if ch in (STAR, ONE):
            if run:
                parts.append(f"(str.to_re {encode.string_literal(''.join(run))})")
                run = []
            parts.append(ALL if ch == STAR else "re.allchar")
        else:
            run.append(ch)
    if run:
        parts.append(f"(str.to_re {encode.string_literal(''.join(run))})")
    if not parts:
        return _EMPTY
    return parts[0] if len(parts) == 1 else f"(re.++ {' '.join(parts)})"


_EMPTY = '(str.to_re "")'


def trie_union(patterns, to_regex) -> str:
    """The union of the patterns' languages, shaped as a trie of their literal heads: each
    pattern is its head followed by the rest (empty, or starting with a wildcard), and heads
    sharing a prefix share it once. Z3 decides membership in a flat union of many literals
    slowly, in a trie fast. `to_regex` turns a pattern's rest into a regex (folding or not)."""
    entries = sorted({(literal_head(p), p[len(literal_head(p)):]) for p in patterns})
    if not entries:
        return NONE
    if any(head == "" and rest and set(rest) == {STAR} for head, rest in entries):
        return ALL
    return _trie(entries, 0, to_regex)


def _trie(entries, depth: int, to_regex) -> str:
    """entries: sorted (head, rest) pairs whose heads share their first `depth` characters."""
    alts = [to_regex(rest) if rest else _EMPTY for head, rest in entries if len(head) == depth]
    longer = [e for e in entries if len(e[0]) > depth]
    for _, run in itertools.groupby(longer, key=lambda e: e[0][depth]):
        run = list(run)
        end = depth + 1  # extend the shared prefix as far as every head in the run goes
        while all(len(h) > end for h, _ in run) and len({h[end] for h, _ in run}) == 1:
            end += 1
        shared = encode.string_literal(run[0][0][depth:end])
        below = _trie(run, end, to_regex)
        alts.append(f"(str.to_re {shared})" if below == _EMPTY
                    else f"(re.++ (str.to_re {shared}) {below})")
    return re_union(alts)


def action_union(patterns) -> str:
    """The union of (folded) action patterns, as a trie."""
    return trie_union([fold(p) for p in patterns], encode.regex)


def action_regex(patterns, negated: bool) -> str:
    positive = action_union(patterns)
    return re_comp(positive) if negated else positive


@functools.lru_cache(maxsize=4096)
def resource_union(patterns: tuple[str, ...]) -> str:
    return trie_union(patterns, resource_regex)
