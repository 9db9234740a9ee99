"""A brute-force oracle over small catalogs, built on the reference matcher only."""

from __future__ import annotations

import random

from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.spec.glob import fold, matches

ALPHABET = "abcdegijlnoprstuvxABCDEGOPST:-23*?"


def catalog_actions(catalog: Catalog) -> list[str]:
    return [f"{s}:{n}" for s, names in catalog.services.items() for n in names]


def is_unused(unused: UnusedSet, action: str) -> bool:
    folded = fold(action)
    return (any(fold(a) == folded for a in unused.actions)
            or any(folded.startswith(fold(s) + ":") for s in unused.services))


def allows(entries: list[str], action: str, not_action: bool = False) -> bool:
    hit = any(matches(e, action) for e in entries)
    return not hit if not_action else hit


def samples(pattern: str, rng: random.Random, count: int = 6) -> list[str]:
    """Strings in lang(pattern): each * replaced by a short random run, each ? by one char."""
    out = []
    for _ in range(count):
        chars = []
        for ch in pattern:
            if ch == "*":
                chars.append("".join(rng.choice(ALPHABET[:-2]) for _ in range(rng.randint(0, 3))))
            elif ch == "?":
                chars.append(rng.choice(ALPHABET[:-2]))
            else:
                chars.append(ch)
        out.append("".join(chars))
    return out


def near_misses(text: str, rng: random.Random, count: int = 4) -> list[str]:
    """Strings one edit away from `text`: a character dropped, replaced or inserted."""
    out = []
    for _ in range(count):
        if not text:
            break
        i = rng.randrange(len(text))
        op = rng.choice("dri")
        c = rng.choice(ALPHABET[:-2])
        out.append(text[:i] + text[i + 1:] if op == "d" else
                   text[:i] + c + text[i + 1:] if op == "r" else text[:i] + c + text[i:])
    return out
