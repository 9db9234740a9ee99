"""Fitting a size limit: trade minimality for size, pattern by pattern, most characters saved
per branch point added first, until the refinement fits (docs/DESIGN.md section 2)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from .cover import PatternCover, entry_cost
from .merge import cover_entries
from .refiner import NARROWED, Refinement, without_subsumed
from .unused_index import UnusedIndex

FITS, FITTED, TOO_LARGE = "fits", "fitted", "does not fit"


@dataclass(frozen=True)
class Swap:
    """One narrowed pattern's minimal entries and the smaller cover that may replace them."""

    statement: int  # index into the refinement's statements
    outcome: int  # index into that statement's outcomes
    cover: tuple  # the cover's entries
    saved: int  # characters the cover saves against the minimal entries
    exposure_added: int  # branch points it adds to the minimal entries' (cover.exposure)

    @property
    def priority(self) -> tuple:
        """Most characters saved per branch point added first; a swap adding none before all."""
        return (self.exposure_added > 0, -self.saved / max(self.exposure_added, 1))


@dataclass(frozen=True)
class Fitting:
    """What fitting gave: the status, the target, the sizes before and after, the swaps made
    and the branch points they add to the minimal refinement's."""

    status: str  # FITS (the minimal refinement fits), FITTED, or TOO_LARGE
    target: int
    minimal_size: int
    size: int
    swaps: int = 0
    exposure_added: int = 0

    @property
    def saved(self) -> int:
        return self.minimal_size - self.size

    def as_json(self) -> dict:
        return {"status": self.status, "target": self.target, "minimal_size": self.minimal_size,
                "size": self.size, "saved": self.saved, "patterns_widened": self.swaps,
                "exposure_added": self.exposure_added}


def swaps(ref: Refinement) -> list[Swap]:
    """Every narrowed pattern whose smallest safe cover is smaller than its minimal entries."""
    index = UnusedIndex(ref.unused)
    out = []
    for s, result in enumerate(ref.statements):
        for o, outcome in enumerate(result.outcomes):
            if outcome.status != NARROWED or not outcome.entries:
                continue  # kept, dropped, or a repeat whose entries stand with its twin's
            text = outcome.pattern.text
            search = PatternCover(text, outcome.index, ref.catalog.matching(text), ref.catalog,
                                  index)
            cover = cover_entries(search)
            saved = sum(entry_cost(e.text) for e in outcome.entries) - sum(
                entry_cost(e.text) for e in cover)
            if saved > 0:
                added = search.exposure([e.text for e in cover]) - search.exposure(
                    [e.text for e in outcome.entries])
                out.append(Swap(s, o, cover, saved, max(added, 0)))
    return sorted(out, key=lambda swap: swap.priority)


def greedy(candidates: list[Swap], needed: int) -> list[Swap]:
    """The swaps in priority order until they save `needed` characters (all of them when they
    never do). As for any covering knapsack taken greedily by ratio, the exposure added is at
    most the least exposure of any set of swaps saving as much, plus one swap's exposure."""
    chosen, saved = [], 0
    for swap in sorted(candidates, key=lambda swap: swap.priority):
        if saved >= needed:
            break
        chosen.append(swap)
        saved += swap.saved
    return chosen


def applied(ref: Refinement, chosen: list[Swap]) -> Refinement:
    """The refinement with each chosen pattern's entries replaced by its cover."""
    by_statement: dict[int, dict[int, tuple]] = {}
    for swap in chosen:
        by_statement.setdefault(swap.statement, {})[swap.outcome] = swap.cover
    statements = list(ref.statements)
    for s, covers in by_statement.items():
        result = statements[s]
        outcomes = tuple(dataclasses.replace(o, entries=covers[i]) if i in covers else o
                         for i, o in enumerate(result.outcomes))
        entries = without_subsumed([e for o in outcomes for e in o.entries])
        statements[s] = dataclasses.replace(result, outcomes=outcomes,
                                            entries=tuple(entries) or None)
    return dataclasses.replace(ref, statements=tuple(statements))


def fit(ref: Refinement, target: int, size_of: Callable[[Refinement], int]
        ) -> tuple[Refinement, Fitting]:
    """The minimal refinement when it fits TARGET; else the swaps in priority order, as many
    as it takes to fit (all of them when it still does not fit: the smallest cover found);
    never a policy larger than the minimal one."""
    minimal_size = size_of(ref)
    if minimal_size <= target:
        return ref, Fitting(FITS, target, minimal_size, minimal_size)
    candidates = swaps(ref)
    chosen = greedy(candidates, minimal_size - target)
    fitted = applied(ref, chosen)
    size = size_of(fitted)
    while size > target and len(chosen) < len(candidates):  # shared entries saved less
        chosen.append(candidates[len(chosen)])
        fitted = applied(ref, chosen)
        size = size_of(fitted)
    if size >= minimal_size:
        return ref, Fitting(TOO_LARGE, target, minimal_size, minimal_size)
    status = FITTED if size <= target else TOO_LARGE
    return fitted, Fitting(status, target, minimal_size, size, len(chosen),
                           sum(swap.exposure_added for swap in chosen))
