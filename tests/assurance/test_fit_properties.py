"""--fit on random small catalogs: the smaller cover is sound, removes and complete by the exact
brute-force oracle, never larger than the minimal refinement, and exactly as small as the best
cover of its family (literals and prefix wildcards), found by enumerating every such cover."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from verify_refine import pipeline
from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.inputs.model import Pattern
from verify_refine.inputs.policy import parse_policy
from verify_refine.jsonout import dumps
from verify_refine.refine import fit, refiner
from verify_refine.refine.cover import PatternCover, entry_cost
from verify_refine.refine.merge import cover_entries
from verify_refine.refine.unused_index import UnusedIndex
from verify_refine.spec.alphabet import pattern_problem
from verify_refine.spec.glob import fold, literal_head, matches
from verify_refine.testing import exact_oracle as oracle
from verify_refine.testing.strategies import catalogs, patterns, unused_sets

FAST = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def wildcards(draw, catalog) -> str:
    """Mostly what policies hold, `svc:Prefix*` and `svc:*`; else any generated pattern."""
    actions = sorted(catalog.canonical(a) for a in catalog.with_prefix(""))
    kind = draw(st.sampled_from(["prefix", "prefix", "service", "any"]))
    if kind == "any":
        return draw(patterns(catalog).filter(lambda p: pattern_problem(p) is None))
    action = draw(st.sampled_from(actions))
    service, name = action.split(":")
    if kind == "service":
        return service + ":*"
    return f"{service}:{name[:draw(st.integers(0, len(name)))]}*"


@st.composite
def unused_draws(draw, catalog) -> UnusedSet:
    """Each catalog action unused or not, as a coin says: dense enough to narrow wildcards;
    sometimes a name the catalog does not know, sometimes a whole service."""
    actions = sorted(catalog.canonical(a) for a in catalog.with_prefix(""))
    flags = draw(st.lists(st.booleans(), min_size=len(actions), max_size=len(actions)))
    chosen = [a for a, flag in zip(actions, flags) if flag]
    if draw(st.integers(0, 4)) == 0:
        return draw(unused_sets(catalog))
    return UnusedSet(actions=tuple(chosen), services=(), unknown=())


@st.composite
def cases(draw, statements: int = 2):
    catalog = draw(catalogs())
    unused = draw(unused_draws(catalog))
    stmts = [{"Effect": "Allow", "Action": draw(st.lists(wildcards(catalog), min_size=1,
                                                           max_size=3)), "Resource": "*"}
             for _ in range(draw(st.integers(1, statements)))]
    doc = {"Version": "2012-10-17", "Statement": stmts}
    return catalog, unused, parse_policy(dumps(doc).encode(), "policy.json")


def smallest_cover(ref: refiner.Refinement) -> tuple[refiner.Refinement, fit.Fitting]:
    """Every swap taken: a target of one character fits nothing."""
    return fit.fit(ref, 1, pipeline.refined_size)


@FAST
@given(cases())
def test_the_smaller_cover_is_sound_removes_and_complete_and_never_larger(case):
    catalog, unused, policy = case
    minimal = refiner.refine(policy, catalog, unused)
    cover, fitting = smallest_cover(minimal)
    assert pipeline.refined_size(cover) <= pipeline.refined_size(minimal)
    assert fitting.size == pipeline.refined_size(cover)
    event(f"fit: {fitting.status}, {'smaller' if fitting.swaps else 'as minimal'}")
    for before, after in zip(minimal.statements, cover.statements):
        entries = None if after.removed_statement else [e.text for e in after.entries]
        verdicts = oracle.statement_verdicts(
            (False, [p.text for p in before.statement.patterns]),
            None if entries is None else (False, entries), unused, catalog)
        assert verdicts == {"sound": None, "removes": None, "complete": None}, (
            [e.text for e in before.entries or ()], entries)


def family(pattern: str, catalog, unused: UnusedSet) -> list[tuple[int, frozenset[str]]]:
    """Every member of the cover family of one pattern, as (cost, catalog actions it covers):
    each used catalog action in the pattern written literally, and each safe character prefix
    X of one (at least the pattern's literal head long) written as refiner.emission(pattern,
    X) without the pieces that cover nothing, when each is an action pattern IAM takes; safety
    decided by the exact oracle."""
    keep = [a for a in catalog.matching(pattern) if not oracle.is_unused(unused, a)]
    head = fold(literal_head(pattern))
    out = [(entry_cost(catalog.canonical(a)), frozenset([a])) for a in keep]
    prefixes = {a[:cut] for a in keep for cut in range(len(head), len(a) + 1)}
    for prefix in sorted(prefixes):
        if oracle._unused_in(pattern, prefix, unused):
            continue
        under = [a for a in keep if a.startswith(prefix)]
        canonical = catalog.canonical(under[0])[:len(prefix)]
        texts = [t for t in refiner.emission(pattern, canonical)
                 if any(matches(t, a) for a in under)]
        if any(pattern_problem(t) for t in texts):
            continue  # not an action pattern IAM takes (`s*`)
        out.append((sum(map(entry_cost, texts)), frozenset(under)))
    return out


def brute_force_optimum(members, keep, bound: int) -> int:
    """The least cost of a set of members covering every action in `keep`, or `bound` when
    none costs less: every cover is tried (the first action not yet covered must be covered by
    one of the members holding it), pruned only by the least cost found so far."""
    best = [bound]

    def search(uncovered: frozenset, cost: int) -> None:
        if cost >= best[0]:
            return
        if not uncovered:
            best[0] = cost
            return
        first = min(uncovered)
        for member_cost, covered in sorted(m for m in members if first in m[1]):
            search(uncovered - covered, cost + member_cost)

    search(frozenset(keep), 0)
    return best[0]


@st.composite
def narrowed(draw):
    """A catalog, a wildcard matching at least three of its actions, and an unused set holding
    some of those (by coin flips; the first one used, the last unused), so it is narrowed."""
    catalog = draw(catalogs())
    pattern = draw(wildcards(catalog).filter(lambda p: len(catalog.matching(p)) >= 3))
    matched = catalog.matching(pattern)
    flags = draw(st.lists(st.booleans(), min_size=len(matched), max_size=len(matched)))
    flags[0], flags[-1] = False, True
    names = [catalog.canonical(a) for a, flag in zip(matched, flags) if flag]
    return catalog, UnusedSet(actions=tuple(names), services=(), unknown=()), pattern


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(narrowed())
def test_the_cover_of_a_pattern_is_the_optimum_of_its_family(case):
    catalog, unused, pattern = case
    index = UnusedIndex(unused)
    keep = [a for a in catalog.matching(pattern) if not oracle.is_unused(unused, a)]
    members = family(pattern, catalog, unused)
    assume(len(members) <= 30)
    search = PatternCover(pattern, 0, catalog.matching(pattern), catalog, index)
    found = search.best()
    texts = [text for text, _ in found]
    assert all(any(matches(t, a) for t in texts) for a in keep)  # complete
    cost = sum(map(entry_cost, texts))  # a cover of the family (checked by the oracle below):
    assert brute_force_optimum(members, keep, cost) == cost  # no cover of it costs less
    assert oracle.statement_verdicts((False, [pattern]), (False, texts), unused, catalog) == {
        "sound": None, "removes": None, "complete": None}
    with_merges = [e.text for e in cover_entries(search)]  # then `?` and inner `*` merges
    assert sum(map(entry_cost, with_merges)) <= sum(map(entry_cost, texts))
    assert oracle.statement_verdicts((False, [pattern]), (False, with_merges), unused,
                                     catalog) == {"sound": None, "removes": None,
                                                  "complete": None}
    if with_merges != texts:
        event("merged")
    minimal = refiner.refine_pattern(0, Pattern(pattern), catalog, index)
    smaller = sum(entry_cost(t) for t in texts) < sum(entry_cost(e.text)
                                                      for e in minimal.entries)
    event(f"family of {len(members)}: {'smaller than' if smaller else 'as'} minimal")
    assert sum(entry_cost(t) for t in texts) <= sum(entry_cost(e.text)
                                                    for e in minimal.entries)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases(statements=3), st.floats(0, 1))
def test_the_swaps_taken_are_within_one_swap_of_the_least_exposure(case, share):
    """Greedy by characters saved per prefix opened: its exposure is at most that of the best
    set of swaps saving as many characters, found by enumerating every set, plus the largest
    exposure of one swap (the stated bound)."""
    catalog, unused, policy = case
    candidates = fit.swaps(refiner.refine(policy, catalog, unused))[:10]
    needed = round(share * sum(s.saved for s in candidates))
    chosen = fit.greedy(candidates, needed)
    enough = [sum(s.exposure_added for s in subset)
              for n in range(len(candidates) + 1)
              for subset in itertools.combinations(candidates, n)
              if sum(s.saved for s in subset) >= needed]
    assert sum(s.saved for s in chosen) >= min(needed, sum(s.saved for s in candidates))
    if enough:
        event(f"{len(candidates)} swaps")
        assert sum(s.exposure_added for s in chosen) <= min(enough) + max(
            (s.exposure_added for s in candidates), default=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 400)), max_size=9),
       st.floats(0, 1))
def test_the_greedy_bound_holds_for_any_savings_and_exposures(pairs, share):
    candidates = [fit.Swap(0, n, (), saved, exposure) for n, (saved, exposure)
                  in enumerate(pairs)]
    needed = round(share * sum(saved for saved, _ in pairs))
    chosen = fit.greedy(candidates, needed)
    assert sum(s.saved for s in chosen) >= needed
    least = min(sum(s.exposure_added for s in subset)
                for n in range(len(candidates) + 1)
                for subset in itertools.combinations(candidates, n)
                if sum(s.saved for s in subset) >= needed)
    assert sum(s.exposure_added for s in chosen) <= least + max(
        (s.exposure_added for s in candidates), default=0)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases(statements=3), st.floats(0, 1))
def test_every_fitted_cover_is_proved_by_the_obligations_and_the_kernel(case, share):
    """Any cover the search writes is one the prover and the proof kernel prove fitted (the
    target drawn between the smallest cover's size and the minimal refinement's)."""
    catalog, unused, policy = case
    ref = refiner.refine(policy, catalog, unused)
    minimal, smallest = pipeline.refined_size(ref), smallest_cover(ref)[1].size
    assume(smallest < minimal or share > 0.8)
    target = smallest + round(share * (minimal - smallest))
    done = pipeline.refine_and_prove(policy, unused, catalog, fit=target)
    event(done.fitting.status)
    assert done.proved, done.problems
    summary = done.proving.proof.by_property()
    if done.fitting.status == fit.FITTED:
        assert "minimal" not in summary and summary["fitted"] == (1, 1)
        assert done.fitting.size <= target
    else:
        assert "fitted" not in summary


@st.composite
def literal_siblings(draw):
    """Names `Verb·Thing·Suffix` each with an unused `...V2` twin, so that the cover must
    write them literally and merges (`?`, inner `*`) are what can save characters."""
    verbs = draw(st.lists(st.sampled_from(["Get", "Put", "Set"]), min_size=1, max_size=2,
                          unique=True))
    things = draw(st.lists(st.sampled_from(["Bucket", "Object", "Job", "Jab"]), min_size=1,
                           max_size=3, unique=True))
    suffixes = draw(st.lists(st.sampled_from(["Acl", "Tag", "Tags"]), min_size=1,
                             max_size=2, unique=True))
    used = [v + t + s for v in verbs for t in things for s in suffixes]
    gone = draw(st.lists(st.sampled_from(used), max_size=len(used) - 1, unique=True))
    names = sorted(set(used) | {n + "V2" for n in used})
    catalog = Catalog(name="generated", version="test", date=None, services={"s3": tuple(names)})
    unused = tuple(f"s3:{n}" for n in names if n.endswith("V2") or n in gone)
    return catalog, UnusedSet(actions=unused, services=(), unknown=())


@settings(max_examples=60, deadline=None)
@given(literal_siblings())
def test_merged_siblings_stay_sound_removes_complete_and_smaller(case):
    catalog, unused = case
    search = PatternCover("s3:*", 0, catalog.matching("s3:*"), catalog, UnusedIndex(unused))
    best = [text for text, _ in search.best()]
    texts = [e.text for e in cover_entries(search)]
    event("merged" if texts != best else "no merge")
    assert sum(map(entry_cost, texts)) <= sum(map(entry_cost, best))
    assert oracle.statement_verdicts((False, ["s3:*"]), (False, texts), unused, catalog) == {
        "sound": None, "removes": None, "complete": None}


@settings(max_examples=25, deadline=None)
@given(literal_siblings())
def test_merged_covers_are_proved_fitted(case):
    catalog, unused = case
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]}
    policy = parse_policy(dumps(doc).encode(), "policy.json")
    smallest = smallest_cover(refiner.refine(policy, catalog, unused))[1]
    done = pipeline.refine_and_prove(policy, unused, catalog, fit=smallest.size)
    event(done.fitting.status)
    assert done.proved, done.problems
    assert done.fitting.status in (fit.FITTED, fit.FITS)
