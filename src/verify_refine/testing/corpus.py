"""The corpus of real policies as the benchmarks and tests read it: where it is, which files, and
the seeded draw of unused actions every corpus benchmark shares."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.findings import UnusedSet
from verify_refine.inputs.policy import parse_policy


def managed_policies(repo: Path) -> Path:
    """The AWS managed policies of the shared corpus, next to the repository REPO (not ours:
    read in place, never copied in)."""
    return repo.parent / "shared" / "corpus" / "aws-managed-policies"


def corpus_files(corpus: Path, limit: int | None = None) -> list[str]:
    """The managed policies every corpus benchmark runs over, in one order."""
    files = sorted(str(p) for p in corpus.glob("*.json") if p.name != "INDEX.json")
    return files[:limit] if limit else files


def add_corpus_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every corpus benchmark shares: the unused draw, the workers, the solver."""
    ap.add_argument("--fraction", type=float, default=0.3, help="share of matched actions unused")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--seed", type=int, default=1, help="seed of the unused draw")
    ap.add_argument("--limit", type=int, default=None, help="only the first N policies")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query")
    ap.add_argument("--catalog", default=None, help="catalog file (default: the installed one)")


def matched_actions(policy, cat) -> list[str]:
    """Every catalog action some Action/NotAction pattern of POLICY matches, sorted."""
    return sorted({a for s in policy.statements for p in s.patterns for a in cat.matching(p.text)})


def draw_unused(policy, cat, path: str, fraction: float, seed: int) -> UnusedSet:
    """Each matched action unused with probability FRACTION, seeded by SEED and the file name
    (so every benchmark draws the same set for a policy)."""
    rng = random.Random(f"{seed}:{Path(path).name}")
    return UnusedSet(tuple(cat.canonical(a) for a in matched_actions(policy, cat)
                           if rng.random() < fraction), (), ())


def unused_for(policy_path: Path, fraction: float, seed: int, catalog_spec
               ) -> tuple[list[str], int]:
    """The unused action names of one policy file (a draw seeded by SEED alone, as the timing
    benchmarks use), and how many actions it matched."""
    cat = catalog_mod.load(catalog_spec)
    policy = parse_policy(policy_path.read_bytes(), str(policy_path))
    matched = matched_actions(policy, cat)
    rng = random.Random(seed)
    return [cat.canonical(a) for a in matched if rng.random() < fraction], len(matched)


_WORKER_CATALOG = None


def init_worker(catalog_spec) -> None:
    """Load the catalog once in a worker process (a Pool initializer)."""
    global _WORKER_CATALOG
    _WORKER_CATALOG = catalog_mod.load(catalog_spec)


def worker_catalog():
    """The catalog init_worker loaded in this process."""
    return _WORKER_CATALOG
