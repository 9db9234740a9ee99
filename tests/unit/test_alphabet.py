"""Issue 10, items 1, 2 and 4: AWS's alphabet at every reader, one case fold everywhere, and
prefix ranges without a sentinel character.

The rule (docs/INPUTS.md): service prefixes, action names and action patterns are ASCII
(letters, digits, '-', and '_' '.' in names, '*' '?' in patterns). Anything else is bad input,
exit 2 with FILE:LINE:COLUMN, from the policy, findings and catalog readers alike; so no
reader can fold a character differently from the matcher, and no string leaves the solver's
alphabet. Below the readers the engine still treats Unicode one way (glob.fold, and the
kernel's own copy), which the differential tests exercise.
"""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import S3_LAMBDA_CATALOG, files_under, one_line_error, policy_doc, write_json
from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.prove import kernel
from verify_refine.refine.refiner import refine
from verify_refine.spec import glob

# Characters whose case folding is a trap: lower() and casefold() differ (ß, ẞ, ﬁ, µ), the
# lower case is longer (İ), it maps outside its script (Kelvin sign K -> k, Å sign), title
# case (ǅ), the last code points (U+10FFFF), the solver's limit (U+2FFFF, U+30000), controls.
TRAPS = "İıßẞﬁµÅǅΣς\u0130\u212a\u212b\U0002ffff\U00030000\U0010ffff\U0010fffe\x00\x7f é"
OUTSIDE = st.one_of(st.sampled_from(TRAPS),
                    st.characters(min_codepoint=0x80, exclude_categories=["Cs"]),
                    st.sampled_from(" /\\:\"'$#{}[]()!,;=+@%&~`^|<>"))

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def spliced(text: str, draw_char, where: int) -> str:
    where = where % (len(text) + 1)
    return text[:where] + draw_char + text[where:]


def assert_refused(cli, tmp_path, argv, path) -> str:
    before = files_under(tmp_path)
    code, out, err = cli(*argv, "-o", tmp_path / "out.json")
    assert (code, out) == (2, ""), err
    line = one_line_error(err)
    assert line.startswith(f"{path}:"), line
    assert files_under(tmp_path) == before  # nothing written
    return line


# ------------------------------------------------------------------ the example


def test_the_dotted_capital_i_example_is_bad_input_not_proved(cli, tmp_path):
    policy = write_json(tmp_path / "p.json", policy_doc("\u0130am:*", "s3:GetObject"))
    unused = write_json(tmp_path / "u.json", [{"serviceNamespace": "\u0130AM"}])
    line = assert_refused(cli, tmp_path, ["refine", policy, "--unused", unused, "--catalog",
                                          S3_LAMBDA_CATALOG], policy)
    assert line.startswith(f"{policy}:1:") and "(U+0130)" in line


def test_an_unused_service_named_u10ffff_is_bad_input(cli, tmp_path):
    policy = write_json(tmp_path / "p.json", policy_doc("*"))
    unused = write_json(tmp_path / "u.json", ["\U0010ffff:Foo"])
    line = assert_refused(cli, tmp_path, ["refine", policy, "--unused", unused, "--catalog",
                                          S3_LAMBDA_CATALOG], unused)
    assert "(U+10FFFF)" in line


# ------------------------------------------------------------------ every reader, generated


@SETTINGS
@given(char=OUTSIDE, where=st.integers(0, 40), key=st.sampled_from(["Action", "NotAction"]),
       base=st.sampled_from(["s3:GetObject", "s3:Get*", "lambda:*Function*", "*"]))
def test_policy_entries_outside_the_alphabet_are_refused(cli, tmp_path, char, where, key, base):
    text = spliced(base, char, where)
    policy = write_json(tmp_path / "p.json", policy_doc("s3:ListBucket", text, key=key))
    unused = write_json(tmp_path / "u.json", ["s3:GetObject"])
    if text.strip("*?") and ":" in text and char in "*?:":
        return  # still a pattern
    line = assert_refused(cli, tmp_path, ["refine", policy, "--unused", unused, "--catalog",
                                          S3_LAMBDA_CATALOG], policy)
    assert line.startswith(f"{policy}:1:")


FINDINGS_SHAPES = {
    "names": lambda svc, name: [f"{svc}:{name}"],
    "service entry": lambda svc, name: [{"serviceNamespace": svc, "actions": [name]}],
    "whole service": lambda svc, name: [{"serviceNamespace": svc + name}],
    "get-finding-v2": lambda svc, name: {"findingType": "UnusedPermission", "findingDetails": [
        {"unusedPermissionDetails": {"serviceNamespace": svc,
                                     "actions": [{"action": name}]}}]},
}


@SETTINGS
@given(char=OUTSIDE.filter(lambda c: c not in "\x00\n\r#:*?\"' \t\\"), where=st.integers(0, 20),
       shape=st.sampled_from(sorted(FINDINGS_SHAPES) + ["text"]), in_service=st.booleans())
def test_findings_names_outside_the_alphabet_are_refused(cli, tmp_path, char, where, shape,
                                                         in_service):
    svc, name = ("s3", "GetObject")
    if in_service:
        svc = spliced(svc, char, where)
    else:
        name = spliced(name, char, where)
    path = tmp_path / "u.txt"
    if shape == "text":
        path.write_text(f"# unused\n{svc}:{name}\n", encoding="utf-8")
    else:
        path = write_json(tmp_path / "u.json", FINDINGS_SHAPES[shape](svc, name))
    policy = write_json(tmp_path / "p.json", policy_doc("s3:*"))
    line = assert_refused(cli, tmp_path, ["refine", policy, "--unused", path, "--catalog",
                                          S3_LAMBDA_CATALOG], path)
    assert line.startswith(f"{path}:"), line


@SETTINGS
@given(char=OUTSIDE.filter(lambda c: c not in "\x00"), where=st.integers(0, 20),
       in_service=st.booleans())
def test_catalog_names_outside_the_alphabet_are_refused(cli, tmp_path, char, where, in_service):
    svc, name = ("s3", "GetObject")
    svc, name = (spliced(svc, char, where), name) if in_service else (svc, spliced(name, char,
                                                                                     where))
    catalog = write_json(tmp_path / "c.json", {svc: [name, "PutObject"]})
    policy = write_json(tmp_path / "p.json", policy_doc("s3:*"))
    unused = write_json(tmp_path / "u.json", ["s3:PutObject"])
    assert_refused(cli, tmp_path, ["refine", policy, "--unused", unused, "--catalog", catalog],
                   catalog)


# ------------------------------------------------------------------ one fold


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(TRAPS), st.characters(
    exclude_categories=["Cs"])), max_size=12))
def test_one_fold_the_kernels_copy_equals_the_specs(text):
    assert kernel.fold(text) == glob.fold(text)
    assert glob.fold(glob.fold(text)) == glob.fold(text)  # folding twice changes nothing
    if text.isascii():
        assert glob.fold(text) == text.lower()


def test_every_code_point_folds_to_one_character():
    """Matching folds the pattern and the text character by character: a fold that changed a
    character's length (İ -> i̇) would shift every position after it."""
    for code in range(0x110000):
        if not 0xD800 <= code <= 0xDFFF:
            assert len(glob.fold(chr(code))) == 1


# ------------------------------------------------------------------ prefix ranges

EDGE = ["\U0010ffff", "\U0010fffe", "\x00", "a", "b", "\uffff", "\U0002ffff"]


@settings(max_examples=1000, deadline=None)
@given(names=st.lists(st.text(alphabet=EDGE, max_size=4), max_size=30),
       prefix=st.text(alphabet=EDGE, max_size=3))
def test_prefix_ranges_hold_exactly_the_names_under_the_prefix(names, prefix):
    names = sorted(names)
    expected = [n for n in names if n.startswith(prefix)]
    assert glob.with_prefix(names, prefix) == expected
    assert kernel.under(names, prefix) == expected
    lo, hi = glob.prefix_bounds(names, prefix)
    assert names[lo:hi] == expected


def test_the_refiner_removes_an_unused_action_whose_next_character_is_u10ffff():
    """Below the readers (a catalog built in code): `*` is narrowed, not kept."""
    catalog = Catalog("c", "1", None, {"\U0010ffff": ("Foo", "Bar"), "s3": ("GetObject",)})
    unused = UnusedSet(("\U0010ffff:Foo",), (), ())
    from verify_refine.inputs.policy import parse_policy
    policy = parse_policy(json.dumps(policy_doc("*")).encode(), "p.json")
    result = refine(policy, catalog, unused)
    texts = [e.text for e in result.statements[0].entries]
    assert "*" not in texts and not any(glob.matches(t, "\U0010ffff:Foo") for t in texts)


def test_strings_past_the_solver_alphabet_make_the_kernel_answer_unknown():
    original = policy_doc("*")
    refined = policy_doc("s3:*", "\U00030000:*")
    result = kernel.check(original, refined, b'["\\ud840\\udc00:Foo"]', ["s3:GetObject"],
                          {"statements": [{"original": 0, "refined": 0, "entries": [
                              {"origin": 0}, {"origin": 0}]}]})
    assert result.verdict != "proved"


def test_sampled_policies_in_the_alphabet_still_refine(cli, tmp_path):
    """The rule refuses nothing AWS writes: every action of the catalog fixture, in any case."""
    rng = random.Random(0)
    names = [f"{s}:{n}" for s, ns in json.loads(S3_LAMBDA_CATALOG.read_text()).items()
             for n in ns]
    picked = [rng.choice([str.lower, str.upper, str])(n) for n in rng.sample(names, 40)]
    policy = write_json(tmp_path / "p.json", policy_doc(*picked, "s3:Get*", "*"))
    unused = write_json(tmp_path / "u.json", picked[:5])
    code, _, err = cli("refine", policy, "--unused", unused, "--catalog", S3_LAMBDA_CATALOG)
    assert code == 0, err
