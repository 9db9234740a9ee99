"""The reference matcher's meaning, and the fast operations agreeing with it."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify_refine.spec.glob import literal_head, matches
from verify_refine.spec.languages import (
    escape_witness,
    fast_match,
    includes,
    intersection_witness,
    literal_tail,
)
from verify_refine.testing.oracle import near_misses, samples


@pytest.mark.parametrize("pattern, text, expected", [
    ("s3:GetObject", "s3:GetObject", True),
    ("s3:GetObject", "S3:GETOBJECT", True),          # case-insensitive, service part too
    ("s3:Get*", "s3:Get", True),                    # * matches the empty string
    ("s3:Get*", "s3:GetObjectAcl", True),
    ("s3:Get*", "s3:PutObject", False),
    ("s3:*Object*", "s3:PutObjectAcl", True),
    ("s3:*Object", "s3:GetObjectAcl", False),       # anchored at both ends
    ("s3:Get?bject", "s3:GetObject", True),
    ("s3:Get?", "s3:Get", False),                   # ? is exactly one character
    ("*", "", True),
    ("*", "anything:at all", True),
    ("?", "", False),
    ("s3:Get[a]", "s3:Geta", False),                # [ is a literal, not a class
    ("s3:Get[a]", "s3:Get[a]", True),
    ("s3:Get.*", "s3:GetX", False),                 # . is a literal too
])
def test_reference_matcher(pattern, text, expected):
    assert matches(pattern, text) is expected


def test_literal_head_and_tail():
    assert literal_head("s3:Get*Object?") == "s3:Get"
    assert literal_tail("s3:Get*Object") == "Object"
    assert literal_head("*") == "" and literal_tail("s3:Get") == "s3:Get"


PATTERN = st.text(alphabet="aAbB:*?", max_size=7)
TEXT = st.text(alphabet="aAbB:x", max_size=7)


@settings(max_examples=1000, deadline=None)
@given(PATTERN, TEXT)
def test_fast_match_agrees_with_reference(pattern, text):
    assert fast_match(pattern, text.lower()) == matches(pattern, text)


@settings(max_examples=1000, deadline=None)
@given(PATTERN, PATTERN, st.integers(0, 2**32))
def test_inclusion_and_intersection_agree_with_sampling(a, b, seed):
    rng = random.Random(seed)
    inside = includes(a, b)
    common = intersection_witness(a, b)
    escape = escape_witness(a, b)
    for s in samples(a, rng, 8) + [n for s in samples(a, rng, 2) for n in near_misses(s, rng)]:
        if matches(a, s) and not matches(b, s):
            assert not inside, f"{s!r} in {a!r} but not {b!r}"
        if matches(a, s) and matches(b, s):
            assert common is not None
    # Witnesses are checked by evaluation with the reference matcher.
    if common is not None:
        assert matches(a, common) and matches(b, common)
    if escape is not None:
        assert matches(a, escape) and not matches(b, escape) and not inside
    else:
        assert inside
