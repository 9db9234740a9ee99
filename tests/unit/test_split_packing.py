"""The split's packing (refine/split.py) against a brute-force optimum: on small policies whose
statements all fit a part whole, first-fit decreasing uses at most 11/9 OPT + 6/9 parts, never
fewer than OPT, each part within the limit, every statement in exactly one part."""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify_refine.jsonout import dumps
from verify_refine.refine.split import SplitError, split_policy
from verify_refine.report.size import iam_size

VERSION_ONLY = iam_size(dumps({"Version": "2012-10-17", "Statement": []}))


def fewest_parts(costs: list[int], room: int) -> int:
    """The fewest parts any packing needs (each part holds items of total cost <= room),
    by dynamic programming over subsets."""
    n = len(costs)
    fits = [sum(costs[i] for i in range(n) if mask >> i & 1) <= room for mask in range(1 << n)]

    @functools.lru_cache(maxsize=None)
    def parts(mask: int) -> int:
        if not mask:
            return 0
        low = mask & -mask  # the lowest item goes with some subset of the rest
        rest, best, sub = mask ^ low, n, mask ^ low
        while True:
            if fits[sub | low]:
                best = min(best, 1 + parts(rest ^ sub))
            if not sub:
                return best
            sub = (sub - 1) & rest

    return parts((1 << n) - 1)


statements = st.lists(st.builds(
    lambda sid, n: {"Sid": f"S{sid}", "Effect": "Allow",
                    "Action": [f"s3:Get{'X' * k}" for k in range(1, n + 1)], "Resource": "*"},
    st.integers(0, 10 ** 6), st.integers(1, 12)), min_size=2, max_size=9,
    unique_by=lambda s: s["Sid"])


@settings(max_examples=150, deadline=None)
@given(body=statements, slack=st.integers(0, 300))
def test_first_fit_decreasing_is_within_its_bound_of_the_optimum(body, slack):
    document = {"Version": "2012-10-17", "Statement": body}
    costs = [iam_size(dumps(s)) + 1 for s in body]  # a statement and its comma
    limit = VERSION_ONLY - 1 + max(costs) + slack  # the largest fits a part alone
    parts = split_policy(document, limit)
    if len(parts) == 1:
        assert parts == [document] and iam_size(dumps(document)) <= limit
        return
    room = limit - VERSION_ONLY + 1
    optimum = fewest_parts(costs, room)
    assert optimum <= len(parts) <= 11 / 9 * optimum + 6 / 9
    assert all(iam_size(dumps(p)) <= limit for p in parts)
    placed = sorted(json.dumps(s, sort_keys=True) for p in parts for s in p["Statement"])
    assert placed == sorted(json.dumps(s, sort_keys=True) for s in body)


def test_more_parts_than_allowed_is_an_error_naming_both_counts():
    body = [{"Sid": f"S{k}", "Effect": "Allow", "Action": [f"s3:Get{'X' * 40}{k}"]}
            for k in range(6)]
    alone = max(iam_size(dumps({"Version": "2012-10-17", "Statement": [s]})) for s in body)
    document = {"Version": "2012-10-17", "Statement": body}
    assert len(split_policy(document, alone)) == 6
    with pytest.raises(SplitError) as raised:
        split_policy(document, alone, max_parts=5)
    assert raised.value.message == (f"cannot split: it takes 6 parts of at most {alone:,} "
                                    "characters, more than the 5 allowed")
