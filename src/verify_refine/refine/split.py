"""Split a policy document into K managed policies under a size limit (first-fit decreasing).

What a split keeps. Every Allow statement goes whole into one part with its Effect, Resource
or NotResource, Condition, Principal and Sid, unless it alone is larger than a part: then its
Action list is cut into contiguous runs of entries, one statement each, every other element
kept. Every Deny statement is copied whole into EVERY part, so that each part on its own allows
no more than the policy (a Deny in one attached policy would apply across all of them, but a
part attached without the others, or the others detached, must not widen anything). A Sid that
the split would repeat across the parts (a Deny copied K times, the runs of one statement) gets
a numeric suffix, 1, 2, ..., skipping any name the policy already uses; the other Sids stay.

How it packs. The items (whole Allow statements and runs) go in order of decreasing size,
ties in document order, each into the first part with room (first-fit decreasing): for these
items it uses at most 11/9 OPT + 6/9 parts, OPT the fewest any packing of them needs (Dósa,
2007). Within a part the statements keep the document's order. The result is deterministic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import InputError
from ..jsonout import dumps
from ..report.size import iam_size

MANAGED_LIMIT = 6144  # characters IAM accepts in a managed policy, whitespace excluded
_RETRIES = 8  # re-packs with less room when the final Sids made a part too large


class SplitError(InputError):
    """The policy cannot be split under the limit (a statement or entry too large, too many
    parts): one line saying which and by how much."""


@dataclass(frozen=True)
class _Item:
    """One Allow statement, or one run of an oversized statement's Action entries."""

    index: int  # the statement's place in the document
    run: int  # 0 for a whole statement; 1, 2, ... for the runs of a cut one
    statement: dict
    cost: int  # its IAM size plus the comma that separates it from the next statement


def split_policy(document: dict, limit: int, max_parts: int | None = None) -> list[dict]:
    """The document as K policy documents, each at most `limit` IAM characters, whose union
    allows exactly what the document allows (pipeline.prove_split proves it). A document that
    fits is returned as the one part, unchanged. Raises SplitError when no split fits, or
    when it needs more than `max_parts` parts."""
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else list(statements or [])
    if iam_size(dumps(document)) <= limit:
        return [dict(document)]
    if not any(s.get("Effect") != "Deny" for s in statements):
        raise SplitError("cannot split: the policy holds only Deny statements, which every "
                         "part must hold whole")
    room_lost = 0
    for _ in range(_RETRIES):
        parts = _pack(document, statements, limit, room_lost)
        if max_parts is not None and len(parts) > max_parts:
            raise SplitError(f"cannot split: it takes {len(parts)} parts of at most "
                             f"{limit:,} characters, more than the {max_parts} allowed")
        over = max(iam_size(dumps(p)) for p in parts) - limit
        if over <= 0:
            return parts
        room_lost += over
    raise SplitError(f"cannot split: no packing keeps every part within {limit:,} characters")


def _pack(document: dict, statements: list[dict], limit: int, room_lost: int) -> list[dict]:
    """One packing with `room_lost` characters less per part than the limit gives."""
    sids = {s["Sid"] for s in statements if isinstance(s.get("Sid"), str)}
    denies = [(i, s) for i, s in enumerate(statements) if s.get("Effect") == "Deny"]
    suffix_digits = 1
    while True:
        taken = set(sids)
        deny_cost = sum(_size(_renamed(s, f"{s.get('Sid')}{'9' * suffix_digits}")) + 1
                        for _, s in denies)
        empty = iam_size(dumps({k: ([] if k == "Statement" else v)
                                for k, v in document.items()}))
        room = limit - empty - deny_cost + 1 - room_lost  # each item costs its size + 1
        if room <= 1:
            raise SplitError(f"cannot split: what every part holds (the Version and the Deny "
                             f"statements) takes {limit - room + 1:,} characters, leaving no "
                             f"room within {limit:,}")
        items = _items(statements, room, taken)
        bins = _first_fit_decreasing(items, room)
        if len(str(len(bins))) <= suffix_digits:
            break
        suffix_digits = len(str(len(bins)))
    deny_sids = {i: _fresh(s.get("Sid"), len(bins), taken) for i, s in denies}
    parts = []
    for k, chosen in enumerate(bins):
        by_place = {(item.index, item.run): item.statement for item in chosen}
        for i, s in denies:
            by_place[(i, 0)] = _renamed(s, deny_sids[i][k]) if len(bins) > 1 else s
        body = [by_place[key] for key in sorted(by_place)]
        parts.append({k2: (body if k2 == "Statement" else v) for k2, v in document.items()})
    return parts


def _items(statements: list[dict], room: int, taken: set[str]) -> list[_Item]:
    """The Allow statements as items of at most `room`: whole, or cut into runs."""
    items = []
    for i, s in enumerate(statements):
        if s.get("Effect") == "Deny":
            continue
        cost = _size(s) + 1
        if cost <= room:
            items.append(_Item(i, 0, s, cost))
        else:
            items += _runs(i, s, room, taken)
    return items


def _runs(index: int, statement: dict, room: int, taken: set[str]) -> list[_Item]:
    """An oversized Allow statement cut into contiguous runs of its Action entries, each run
    as large as a part allows (next fit), each a statement with a suffixed Sid."""
    entries = statement.get("Action")
    where = _describe(index, statement)
    if not isinstance(entries, list) or len(entries) < 2:
        why = ("a NotAction statement cannot be cut: its entries together say what it does "
               "not allow") if "NotAction" in statement else "it has a single Action entry"
        raise SplitError(f"cannot split: {where} is {_size(statement):,} characters, more "
                         f"than the {room - 1:,} a part has room for beside what every part "
                         f"holds, and {why}")
    sids = _fresh(statement.get("Sid"), len(entries), set(taken))
    skeleton = _size(_with_actions(statement, [], sids[-1])) + 1
    runs: list[list[str]] = [[]]
    used = skeleton
    for entry in entries:
        size = iam_size(json.dumps(entry, ensure_ascii=False))
        if skeleton + size > room:
            raise SplitError(f"cannot split: {where}: its Action entry {json.dumps(entry)} "
                             f"alone leaves no room in a part of {room - 1:,} characters")
        needed = size + (1 if runs[-1] else 0)
        if used + needed > room:
            runs.append([])
            used, needed = skeleton, size
        runs[-1].append(entry)
        used += needed
    names = _fresh(statement.get("Sid"), len(runs), taken)
    out = []
    for k, run in enumerate(runs):
        cut = _with_actions(statement, run, names[k])
        out.append(_Item(index, k + 1, cut, _size(cut) + 1))
    return out


def _first_fit_decreasing(items: list[_Item], room: int) -> list[list[_Item]]:
    """Each item, largest first (ties in document order), into the first part with room."""
    bins: list[list[_Item]] = []
    free: list[int] = []
    for item in sorted(items, key=lambda it: (-it.cost, it.index, it.run)):
        for k, left in enumerate(free):
            if item.cost <= left:
                bins[k].append(item)
                free[k] -= item.cost
                break
        else:
            bins.append([item])
            free.append(room - item.cost)
    return bins


def _fresh(sid, count: int, taken: set[str]) -> list:
    """`count` new Sids from `sid` (sid1, sid2, ...), none already taken (and now taken);
    a statement without a Sid stays without one."""
    if not isinstance(sid, str):
        return [sid] * count
    names, n = [], 0
    while len(names) < count:
        n += 1
        if sid + str(n) not in taken:
            names.append(sid + str(n))
            taken.add(names[-1])
    return names


def _renamed(statement: dict, sid) -> dict:
    if not isinstance(statement.get("Sid"), str):
        return statement
    return {k: (sid if k == "Sid" else v) for k, v in statement.items()}


def _with_actions(statement: dict, entries: list, sid) -> dict:
    cut = {k: (entries if k == "Action" else v) for k, v in statement.items()}
    return _renamed(cut, sid)


def _size(statement: dict) -> int:
    return iam_size(dumps(statement))


def _describe(index: int, statement: dict) -> str:
    sid = statement.get("Sid")
    return f"statement {index + 1}" + (f" (Sid {json.dumps(sid)})" if isinstance(sid, str)
                                       else "")
