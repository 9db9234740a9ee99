"""The cvc5 back end: agrees with z3 and the reference matcher, real characters, fails closed."""

from __future__ import annotations

import random
import re
import sys

import pytest

pytest.importorskip("cvc5")

from verify_refine.prove import cvc5_solver  # noqa: E402
from verify_refine.prove.encode import LOGIC, member, regex, string_literal, union  # noqa: E402
from verify_refine.prove.solver import SAT, UNKNOWN, UNSAT, solve  # noqa: E402
from verify_refine.spec.glob import fold, matches  # noqa: E402
from verify_refine.spec.languages import includes  # noqa: E402

TIMEOUT_S = 10.0
X = "(declare-const x String)\n"

# Patterns with quotes, backslashes (including a literal `\u{41}`), non-ASCII letters, an emoji,
# a tab, and wildcards in every position.
POOL = [
    "s3:Get*", "s3:GetObject*", "s3:?et*", "s3:*Acl", "s3:Get*Acl", "s3:G?t*", "*", "s3:*",
    'a"b*', 'a"b"c', 'a"*', "x\\y?", "x\\*", "x\\u{41}*", "\\u{41}", "A", "é*", "É:?",
    "日本:*", "日本:読?", "emoji😀*", "emoji?*", "tab\tx*", "?", "??*", "",
]


def _exact(pattern: str) -> re.Pattern[str]:
    """The language of regex(pattern) over raw strings: folded literals, the text not folded."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
                   for ch in fold(pattern))
    return re.compile(body, re.DOTALL)


def _difference(a: str, b: str) -> str:
    """Sat iff some string is in lang(a) and not in lang(b)."""
    body = f"(re.inter {regex(a)} (re.comp {regex(b)}))"
    return LOGIC + X + f"(assert (str.in_re x {body}))\n(check-sat)\n"


def _pairs(count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(rng.choice(POOL), rng.choice(POOL)) for _ in range(count)]


@pytest.mark.parametrize("a, b", _pairs(40))
def test_difference_agrees_with_z3_and_reference(a, b):
    text = _difference(a, b)
    expected = UNSAT if includes(a, b) else SAT
    got = cvc5_solver.solve(text, TIMEOUT_S)
    assert got.status == expected, got.reason
    assert solve(text, TIMEOUT_S, "z3").status == expected
    if got.status == SAT:
        witness = got.model["x"]
        assert _exact(a).fullmatch(witness) and not _exact(b).fullmatch(witness)
        # the witness, re-encoded and pinned, is accepted by the other solver
        pin = f"(assert (= x {string_literal(witness)}))\n(check-sat)"
        pinned = text.replace("(check-sat)", pin)
        assert solve(pinned, TIMEOUT_S, "z3").status == SAT


TEXTS = ['s3:GetObject', 'S3:getobjectACL', 'a"b', 'a"b"c', 'x\\y1', 'x\\u{41}', 'x\\A', 'A', 'a',
         'ÉTÉ', 'É:x', '日本:読む', '日本:読', 'emoji😀', 'emoji', 'tab\tx', '', 'z']


@pytest.mark.parametrize("pattern", POOL)
def test_ground_membership_agrees_with_z3_and_reference(pattern):
    for text in TEXTS:
        query = LOGIC + f"(assert {member(text, regex(pattern))})\n(check-sat)\n"
        expected = SAT if matches(pattern, text) else UNSAT
        assert cvc5_solver.solve(query, TIMEOUT_S).status == expected, (pattern, text)
        assert solve(query, TIMEOUT_S, "z3").status == expected, (pattern, text)


def test_ground_disjunction_over_a_defined_union():
    patterns = ["s3:Get*", "s3:?et*", 'a"b*', "x\\y?", "x\\u{41}*", "é*", "日本:*", "emoji😀*",
                "tab\tx*"]
    hits = [t for t in TEXTS if any(matches(p, t) for p in patterns)]
    misses = [t for t in TEXTS if t not in hits]
    assert hits and misses
    head = LOGIC + f"(define-fun R () RegLan {union(patterns)})\n"
    for texts, expected in ((TEXTS, SAT), (misses, UNSAT)):
        disjuncts = " ".join(member(t, "R") for t in texts)
        query = head + f"(assert (or {disjuncts}))\n(check-sat)\n"
        assert cvc5_solver.solve(query, TIMEOUT_S).status == expected
        assert solve(query, TIMEOUT_S, "z3").status == expected
    empty = LOGIC + X + f"(assert (str.in_re x {union([])}))\n(check-sat)\n"
    assert cvc5_solver.solve(empty, TIMEOUT_S).status == UNSAT


@pytest.mark.parametrize("value", ['a"b', '""', "x\\y", "x\\u{41}", "é😀日", "\x00\x01\x7f",
                                   "tab\tnl\n", ""])
def test_sat_model_is_the_real_characters(value):
    query = (LOGIC + X + "(declare-const y String)\n"
             + f"(assert (= x {string_literal(value)}))\n(check-sat)\n")
    got = cvc5_solver.solve(query, TIMEOUT_S)
    assert got.status == SAT
    assert got.model["x"] == value
    assert isinstance(got.model["y"], str)  # every declared String constant gets a value


def test_dispatch_through_solver_and_version():
    text = _difference("s3:Get*", "s3:GetObject*")
    got = solve(text, TIMEOUT_S, "cvc5")
    assert got.status == SAT and got.model["x"].startswith("s3:get") and got.seconds > 0
    assert cvc5_solver.version().startswith("cvc5 1.")


@pytest.mark.parametrize("text", [
    "",
    "(set-logic QF_S)(declare-const x String)",                                # no check-sat
    "(set-logic QF_S)(declare-const x String)(assert (str.in_re x ",            # truncated
    "(set-logic QF_S)(declare-const x String)(assert (str.in_re x re.foo))(check-sat)",
    "(set-logic QF_S)(declare-const x String)(assert (str.in_re x x))(check-sat)",  # ill-sorted
    "(set-logic QF_S)(assert (str.in_re y re.all))(check-sat)",                   # undeclared
    '(set-logic QF_S)(declare-const x String)(assert (= x "open))(check-sat)',
    # a one-argument re.union: z3 takes it, cvc5 rejects it
    "(set-logic QF_S)(declare-const x String)(assert (str.in_re x (re.union re.all)))(check-sat)",
    "(set-logic QF_S)(assert (or))(check-sat)",
    "(set-logic NOT_A_LOGIC)(check-sat)",
    "))(((",
    "\x00\xff garbage",
])
def test_malformed_text_is_unknown(text):
    got = cvc5_solver.solve(text, TIMEOUT_S)
    assert got.status == UNKNOWN and got.reason


def _slow_for_cvc5(n: int = 150) -> str:
    """A flat union of literals minus patterns covering them: unsat, but cvc5 needs seconds."""
    literals = [f"svc{i % 7}:action{i}x" for i in range(n)]
    covering = union(f"svc{k}:action{d}*" for k in range(7) for d in range(10))
    body = f"(re.inter {union(literals)} (re.comp {covering}))"
    return LOGIC + X + f"(assert (str.in_re x {body}))\n(check-sat)\n"


@pytest.mark.parametrize("timeout_s", [0, 0.001, 0.05])
def test_tiny_timeout_never_raises(timeout_s):
    got = cvc5_solver.solve(_slow_for_cvc5(), timeout_s)
    assert got.status in (UNKNOWN, UNSAT)
    assert got.status == UNSAT or got.reason
    assert got.seconds < 5
    easy = cvc5_solver.solve(_difference("s3:GetObject*", "s3:Get*"), timeout_s)
    assert easy.status in (UNKNOWN, UNSAT)


def test_missing_cvc5_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cvc5", None)
    with pytest.raises(RuntimeError, match=re.escape("pip install 'verify-refine[cvc5]'")):
        cvc5_solver.solve(_difference("a", "b"), 1)
    with pytest.raises(RuntimeError, match="cvc5 is not installed"):
        cvc5_solver.version()
