"""Every real policy under ../shared/corpus refines against a random 30% of its catalog actions."""

from __future__ import annotations

import random
from pathlib import Path

from tests.helpers import CORPUS, require
from verify_refine import pipeline
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.findings import UnusedSet
from verify_refine.inputs.policy import parse_policy
from verify_refine.report.summary import summary

# The inputs the parser rejects, each really malformed (docs/CORPUS.md says why).
REJECTED = {
    "parliament__action_and_notaction_malformed.json",
    "policyuniverse__old_version_principal_conditions.json",
    "policyuniverse__resource_policy_bad_version_condition.json",
}


def corpus_files() -> list[Path]:
    return sorted(p for p in require(CORPUS).glob("*/*.json") if p.name != "INDEX.json")


def test_whole_corpus_refines_at_30_percent_unused():
    files = corpus_files()
    cat = catalog_mod.load(None)
    rejected, refined = set(), 0
    for path in files:
        try:
            policy = parse_policy(path.read_bytes(), str(path))
        except InputError:
            rejected.add(path.name)
            continue
        rng = random.Random(path.name)
        allowed_before = {}
        for stmt in policy.statements:
            for pat in stmt.patterns:
                for action in cat.matching(pat.text):
                    allowed_before.setdefault(action, True)
        unused = [a for a in sorted(allowed_before) if rng.random() < 0.3]
        unused_set = UnusedSet(tuple(cat.canonical(a) for a in unused), (), ())
        # A sample is also proved, obligations and kernel (the benchmark proves them all).
        done = pipeline.refine_and_prove(policy, unused_set, cat, prove=refined % 8 == 0)
        assert done.verdict in (None, "proved"), (policy.source, done.problems)
        summary(done.refinement)
        _check_removes_and_complete(done.refinement, cat, set(unused))
        refined += 1
    assert rejected == REJECTED
    assert refined == len(files) - len(REJECTED) >= 1600


def _check_removes_and_complete(result, cat, unused: set[str]) -> None:
    """Per Allow statement with Action: no unused catalog action, every used one kept."""
    for r in result.statements:
        stmt = r.statement
        if stmt.effect != "Allow" or stmt.action_key != "Action":
            continue
        before = {a for p in stmt.patterns for a in cat.matching(p.text)}
        after = set() if r.entries is None else {a for e in r.entries for a in cat.matching(e.text)}
        assert not (after & unused), (stmt, sorted(after & unused)[:5])
        assert before - unused <= after, (stmt, sorted(before - unused - after)[:5])
