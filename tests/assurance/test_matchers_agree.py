"""Three matchers agree on generated (pattern, string) pairs: the reference matcher
(`glob.matches`, the executable spec), Z3's evaluation of the SMT-LIB encoding the provers use
(`prove.evaluate.member`: `(str.in_re fold(text) encode.regex(pattern))`, simplified by z3), and
Python's `fnmatch.fnmatchcase` on case-folded strings, with `[` escaped as `[[]` (fnmatch reads
`[...]` as a character class; IAM has none).

Case folding is IAM's, character by character (a character whose lower case is one character
is lowered, others are kept: `İ` stays, `K` (Kelvin) becomes `k`, `ß` stays `ß`). It is written
out again here (`casefold_iam`) rather than taken from `glob.fold`, and checked against
`str.lower` on ASCII. `str.casefold` would differ on purpose (`ß` -> `ss`), so it is not used.

Pairs: patterns grown from real-looking catalogs (`assurance_strategies.patterns`) and random
patterns over an alphabet with `*`, `?`, `[`, `]`, `\\`, `"`, separators, both cases and
non-ASCII letters; for each, strings in the pattern's language, near misses of those (one
character dropped or replaced, or one case change), near misses of the pattern's own text, and
random strings. The proof kernel's own matcher (`prove.kernel.matches`) is held to the same
answers. VR_MATCH_EXAMPLES (default 600) patterns, PAIRS_PER_PATTERN (8) strings each:
4,800 pairs by default.
"""

from __future__ import annotations

import fnmatch
import os
import time

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from verify_refine.prove import kernel
from verify_refine.prove.evaluate import member
from verify_refine.spec.glob import fold, matches
from verify_refine.testing.assurance_strategies import (
    EXOTIC,
    FILL_PLAIN,
    catalogs,
    matching_strings,
    near_misses,
    patterns,
)

EXAMPLES = int(os.environ.get("VR_MATCH_EXAMPLES", "600"))
PAIRS_PER_PATTERN = 8
ALPHABET = "aAbBsS3:-_/*?[]\\\"." + EXOTIC
FILL = FILL_PLAIN + EXOTIC + "[]\\\"."
COUNTS = {"pairs": 0, "matching": 0}


def casefold_iam(text: str) -> str:
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def fnmatch_iam(pattern: str, text: str) -> bool:
    escaped = casefold_iam(pattern).replace("[", "[[]")
    return fnmatch.fnmatchcase(casefold_iam(text), escaped)


@st.composite
def pattern_and_strings(draw):
    if draw(st.booleans()):
        pattern = draw(patterns(draw(catalogs(max_services=2, max_names=4))))
    else:
        pattern = draw(st.text(alphabet=ALPHABET, min_size=0, max_size=10))
    strings = []
    while len(strings) < PAIRS_PER_PATTERN:
        kind = draw(st.sampled_from(["in", "in", "near", "near", "near-pattern", "random"]))
        if kind == "in":
            strings.append(draw(matching_strings(pattern, FILL)))
        elif kind == "near":
            strings.append(draw(near_misses(draw(matching_strings(pattern, FILL)), FILL)))
        elif kind == "near-pattern":
            strings.append(draw(near_misses(pattern, FILL)))
        else:
            strings.append(draw(st.text(alphabet=FILL, max_size=8)))
    return pattern, strings


@pytest.fixture(scope="module", autouse=True)
def report():
    start = time.perf_counter()
    yield
    print(f"\nmatchers agree: {COUNTS['pairs']} pairs ({COUNTS['matching']} matching) in "
          f"{time.perf_counter() - start:.1f} s")


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@seed(int(os.environ.get("VR_DIFF_SEED", "0")))
@given(pattern_and_strings())
def test_reference_z3_and_fnmatch_agree(case):
    pattern, strings = case
    for text in strings:
        ref = matches(pattern, text)
        z3_says = member(text, pattern)
        fn_says = fnmatch_iam(pattern, text)
        kernel_says = kernel.matches(pattern, text)  # the proof kernel's own matcher, too
        assert ref == z3_says == fn_says == kernel_says, (
            f"pattern {pattern!r}, text {text!r}: reference {ref}, z3 {z3_says}, "
            f"fnmatch {fn_says}, kernel {kernel_says}")
        COUNTS["pairs"] += 1
        COUNTS["matching"] += ref


@given(st.text(alphabet=ALPHABET + "".join(map(chr, range(0x20, 0x7F))), max_size=20))
@settings(max_examples=200, deadline=None, database=None)
def test_iam_folding_is_lower_case_on_ascii_and_is_the_reference_folding(text):
    assert casefold_iam(text) == fold(text)
    if text.isascii():
        assert fold(text) == text.lower()


@pytest.mark.parametrize("pattern, text, expected", [
    ("s3:Get*", "S3:GETOBJECT", True),
    ("K", "k", True),            # Kelvin sign folds to k
    ("ß", "SS", False),          # no full case folding: ß is not ss
    ("İ", "i", False),           # İ lowers to two characters: kept as is
    ("x[a]", "x[a]", True),      # [ is a literal
    ("x[a]", "xa", False),
    ('a"*', 'a"b', True),        # a quote inside an SMT-LIB string literal
    ("a?b", "a\\b", True),       # a backslash read by ?
    ("?", "é", True),            # ? reads one character, not one byte
    ("", "", True),
    ("*", "", True),
])
def test_fixed_pairs(pattern, text, expected):
    assert matches(pattern, text) is expected
    assert member(text, pattern) is expected
    assert fnmatch_iam(pattern, text) is expected
