"""Property tests: on random small catalogs the refiner's output is sound, removes, complete and minimal."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify_refine.inputs.model import Pattern, Policy, Statement
from verify_refine.refine.refiner import refine
from verify_refine.spec.glob import fold, has_wildcard, matches, states_after
from verify_refine.spec.tokens import tokens
from verify_refine.testing.oracle import allows, catalog_actions, is_unused, near_misses, samples
from verify_refine.testing.strategies import catalogs, patterns, unused_sets

EXAMPLES = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def cases(draw, key: str = "Action"):
    catalog = draw(catalogs())
    texts = draw(st.lists(patterns(catalog), min_size=1, max_size=4))
    unused = draw(unused_sets(catalog))
    stmt = Statement(0, "Allow", key, tuple(Pattern(t) for t in texts), True,
                     (("Effect", "Allow"), (key, texts), ("Resource", "*")))
    policy = Policy(members=(("Statement", []),), statements=(stmt,), statement_is_list=True)
    result = refine(policy, catalog, unused).statements[0]
    out = [] if result.entries is None else [e.text for e in result.entries]
    return catalog, texts, unused, result, out, random.Random(draw(st.integers(0, 2**32)))


def strings_to_try(catalog, unused, texts, out, rng: random.Random) -> list[str]:
    pool = catalog_actions(catalog) + list(unused.actions)
    for text in texts + out:
        for sample in samples(text, rng):
            pool.append(sample)
            pool.extend(near_misses(sample, rng))
    return pool


def _check_removes(catalog, unused, out, not_action=False):
    """removes: no unused action (catalog, listed, or any string of an unused service)."""
    probes = [f"{s}:NotInTheCatalog" for s in unused.services]
    for action in catalog_actions(catalog) + list(unused.actions) + probes:
        if is_unused(unused, action):
            assert not allows(out, action, not_action), f"unused {action} still allowed"


def _check_complete(catalog, unused, texts, out, not_action=False):
    """complete: every catalog action the original allowed and that is used stays allowed."""
    for action in catalog_actions(catalog):
        if allows(texts, action, not_action) and not is_unused(unused, action):
            assert allows(out, action, not_action), f"used {action} no longer allowed"


def _check_sound(catalog, unused, texts, out, rng, not_action=False):
    """sound: no string (catalog, unused, samples of every entry, near misses) is newly allowed."""
    for s in strings_to_try(catalog, unused, texts, out, rng):
        if allows(out, s, not_action):
            assert allows(texts, s, not_action), f"{s!r} allowed by {out} but not by {texts}"


@pytest.mark.slow
@EXAMPLES
@given(cases())
def test_action_lists_sound_removes_complete_minimal(case):
    """Each case is checked for all four properties, so each has every example."""
    catalog, texts, unused, result, out, rng = case
    _check_removes(catalog, unused, out)
    _check_complete(catalog, unused, texts, out)
    _check_sound(catalog, unused, texts, out, rng)
    _check_minimal(catalog, unused, result, rng)


def _token_parent(prefix: str) -> str:
    return prefix[: len(prefix) - len(tokens(prefix)[-1])] if ":" in prefix else ""


def _admits_unused(pattern: str, prefix: str, catalog, unused) -> bool:
    """lang(pattern) ∩ prefix·Σ* holds an unused action (a listed one, or one of an unused service)."""
    folded = fold(prefix)
    listed = [a for a in unused.actions] + [a for a in catalog_actions(catalog)
                                            if is_unused(unused, a)]
    if any(matches(pattern, a) and fold(a).startswith(folded) for a in listed):
        return True
    for service in unused.services:  # any string of the service counts, known or not
        head = fold(service) + ":"
        if folded.startswith(head) or (head.startswith(folded)
                                       and states_after(pattern, head)):
            return True
    return False


def _check_minimal(catalog, unused, result, rng):
    """Every generated entry sits at a shortest safe node: its token parent admits an unused action."""
    if result.entries is None:
        return
    for entry in result.entries:
        if not entry.generated:
            continue
        origin = entry.origin
        assert has_wildcard(origin)
        # The entry is exactly what the original allows under its node's prefix (sampled).
        for s in samples(entry.text, rng):
            assert matches(origin, s) and fold(s).startswith(fold(entry.prefix))
        parent = _token_parent(entry.prefix)
        at_own_node = fold(entry.text) == fold(entry.prefix) and _admits_unused(
            origin, entry.prefix, catalog, unused)
        assert at_own_node or _admits_unused(origin, parent, catalog, unused), (
            f"{entry.text} from {origin}: parent {parent!r} admits no unused action")
        assert entry.witness is not None


@pytest.mark.slow
@EXAMPLES
@given(cases("NotAction"))
def test_not_action_properties(case):
    """Allow+NotAction: sound, removes, complete, and each added prefix is the shortest."""
    catalog, texts, unused, result, out, rng = case
    not_action = True
    if result.entries is None:  # statement removed: it must have allowed nothing still used
        for action in catalog_actions(catalog):
            assert not (allows(texts, action, True) and not is_unused(unused, action))
        return
    _check_removes(catalog, unused, out, not_action)
    _check_complete(catalog, unused, texts, out, not_action)
    _check_sound(catalog, unused, texts, out, rng, not_action)
    used_allowed = [a for a in catalog_actions(catalog)
                    if allows(texts, a, True) and not is_unused(unused, a)]
    for entry in result.entries:
        if not entry.generated or entry.prefix is None:
            continue
        parent = _token_parent(entry.prefix)
        own = fold(entry.text) == fold(entry.prefix)
        used_under = [a for a in used_allowed if fold(a).startswith(fold(parent))]
        used_own = [a for a in used_allowed if fold(a).startswith(fold(entry.prefix))]
        assert used_under or (own and used_own), f"{entry.text}: a shorter prefix was safe"


@pytest.mark.slow
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(["Action", "NotAction"]).flatmap(cases))
def test_prover_proves_what_the_oracle_accepts(case):
    """The refiner's output, checked by the oracle above, is also proved by the prover."""
    import json as _json

    from verify_refine.inputs.policy import parse_policy
    from verify_refine.jsonout import dumps
    from verify_refine.prove import obligations, prover
    from verify_refine.refine.hints import hints
    from verify_refine.report.document import refined_document

    catalog, texts, unused, result, out, rng = case
    stmt = result.statement
    policy = Policy(members=(("Statement", [dict(stmt.members)]),), statements=(stmt,),
                    statement_is_list=True)
    from hypothesis import assume

    from verify_refine.errors import InputError

    try:
        original = parse_policy(_json.dumps(dict(policy.members)).encode(), "o.json")
    except InputError:
        assume(False)  # not a policy IAM would accept (e.g. an action without a colon)
    ref = refine(original, catalog, unused)
    refined = parse_policy(dumps(refined_document(ref)).encode(), "r.json", allow_empty=True)
    plan = obligations.plan(original, refined, unused, catalog, hints(ref))
    proof = prover.run(plan, unused, catalog, 10.0)
    assert proof.verdict == "proved", (proof.problems, proof.failure)
