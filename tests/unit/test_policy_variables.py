"""Policy variables and Version (issue 10, item 14): `verify` never proves what IAM would not
agree with. Under Version 2012-10-17 IAM substitutes `${...}` in Resource and NotResource;
under 2008-10-17 or no Version it is literal text. Every case runs through the real CLI."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG_CATALOG
from verify_refine.cli import main

NEW, OLD = "2012-10-17", "2008-10-17"
B = "arn:aws:s3:::b/"
USER = "${aws:username}"
UNDECIDED = re.compile(r"^unknown: cannot decide: policy variable \$\{[^\n]* in "
                       r"(Not)?Resource \"[^\n]*\" \(statement \d+ of (ORIGINAL|REFINED)\): "
                       r"[^\n]*\n$")


def document(statements, version=NEW):
    doc = {} if version is None else {"Version": version}
    doc["Statement"] = statements
    return doc


def allow(resources, actions=("s3:GetObject",), key="Resource", effect="Allow"):
    return {"Effect": effect, "Action": list(actions), key: list(resources)}


def verify(tmp: Path, original: dict, refined: dict, unused=()) -> tuple[int, str, str]:
    """`verify-refine verify ORIGINAL REFINED --unused U --catalog C`, in-process."""
    tmp.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, doc in (("original.json", original), ("refined.json", refined),
                      ("unused.json", [{"serviceNamespace": "s3", "actions": list(unused)}]
                       if unused else [])):
        (tmp / name).write_text(json.dumps(doc))
        paths.append(str(tmp / name))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", paths[0], paths[1], "--unused", paths[2],
                     "--catalog", str(BLOG_CATALOG), "--allow-nothing-unused"])
    return code, out.getvalue(), err.getvalue()


def assert_undecided(result):
    code, out, err = result
    assert code == 3, (code, out, err)
    assert out == "" and UNDECIDED.match(err), err


# --- the examples of the issue ---------------------------------------------------------------

def test_adding_a_variable_next_to_dollar_star_is_not_proved(tmp_path):
    """IAM substitutes `${aws:username}` and grants b/alice, which `b/$*` does not cover."""
    result = verify(tmp_path, document([allow([B + "$*"])]),
                    document([allow([B + "$*", B + USER])]))
    assert_undecided(result)
    assert f'policy variable {USER} in Resource "{B}{USER}" (statement 1 of REFINED)' \
        in result[2]


@pytest.mark.parametrize("before, after", [(NEW, OLD), (OLD, NEW), (NEW, None), (None, NEW)])
def test_version_change_around_a_variable_is_not_proved(tmp_path, before, after):
    pattern = B + "home/" + USER + "/*"
    result = verify(tmp_path, document([allow([pattern])], before),
                    document([allow([pattern])], after))
    assert_undecided(result)


def test_dollar_star_is_literal_text_without_substitution(tmp_path):
    """Under 2008-10-17 `${aws:username}` is literal text, which `b/$*` matches: proved."""
    for version in (OLD, None):
        code, out, err = verify(tmp_path, document([allow([B + "$*"])], version),
                                document([allow([B + "$*", B + USER])], version))
        assert code == 0, (out, err)


# --- what is still proved ---------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [
    B + USER, B + "home/" + USER + "/*", B + "${aws:PrincipalTag/team, 'company-wide'}",
    B + USER + "/${aws:PrincipalTag/dept}"])
@pytest.mark.parametrize("version", [NEW, OLD, None])
def test_identical_resources_with_variables_are_proved(tmp_path, pattern, version):
    for key in ("Resource", "NotResource"):
        doc = document([allow([pattern], key=key)], version)
        code, out, err = verify(tmp_path, doc, doc)
        assert code == 0, (out, err)


def test_narrowing_to_a_variable_inside_a_wildcard_is_sound(tmp_path):
    """Whatever `${aws:username}` stands for, b/home/<it>/x is within b/home/*: sound holds
    (it is checked first); complete fails on a resource no substitution reaches (exit 1)."""
    code, out, err = verify(tmp_path, document([allow([B + "home/*"])]),
                            document([allow([B + "home/" + USER + "/*"])]))
    assert code == 1, (out, err)
    assert out.startswith("refuted: complete: ORIGINAL allows s3:GetObject on resource "), out


# --- special variables and default values ------------------------------------------------------

@pytest.mark.parametrize("special, char", [("${*}", "*"), ("${?}", "?"), ("${$}", "$")])
def test_special_variables_are_literal_characters(tmp_path, special, char):
    # b/x${*} grants the one resource "b/x*" (a literal star), within what b/* grants
    code, out, err = verify(tmp_path, document([allow([B + "*"])]),
                            document([allow([B + "*", B + "x" + special])]))
    assert code == 0, (out, err)
    # the literal character is not a wildcard: a wildcard next to it is refuted (exit 1)
    code, out, err = verify(tmp_path, document([allow([B + "x" + special])]),
                            document([allow([B + "x" + special, B + "x" + char + "y"])]))
    assert code == 1, (out, err)
    assert out.startswith("refuted: sound: REFINED allows s3:GetObject on resource ")


def test_special_variables_with_and_without_substitution(tmp_path):
    """`${$}` is `$` under 2012-10-17 and the four characters `${$}` under 2008-10-17."""
    code, out, err = verify(tmp_path, document([allow([B + "${$}"])]),
                            document([allow([B + "$"])]))
    assert code == 0, (out, err)
    code, out, err = verify(tmp_path, document([allow([B + "${$}"])], OLD),
                            document([allow([B + "${$}"])]))
    assert code == 1 and f'on resource "{B}$"' in out, (out, err)


def test_default_values(tmp_path):
    team = B + "${aws:PrincipalTag/team, 'company-wide'}"
    # in a statement of its own (an unresolved variable may void its statement: see below)
    code, out, err = verify(tmp_path, document([allow([B + "*"])]),
                            document([allow([B + "*"]), allow([team])]))
    assert code == 0, (out, err)
    assert_undecided(verify(tmp_path, document([allow([B + "company-wide"])]),
                            document([allow([B + "company-wide"]), allow([team])])))
    # without substitution the default is literal text too: b/* covers it
    code, out, err = verify(tmp_path, document([allow([B + "*"])], OLD),
                            document([allow([B + "*", team])], OLD))
    assert code == 0, (out, err)


@pytest.mark.parametrize("pattern", [
    B + "${aws:PrincipalTag/x, 'a}b'}/c", B + "${aws:PrincipalTag/x, 'it''s'}/c",
    B + "${abc/c", B + "${}/c", B + "${${*}}/c", B + "x${*}${aws:username}/c"])
def test_odd_variable_spellings(tmp_path, pattern):
    """A `}` or `''` inside a default, an unterminated or empty variable, a nested one: never
    proved across a Version change; proved when identical, and when added inside b/*."""
    assert_undecided(verify(tmp_path, document([allow([pattern])]),
                            document([allow([pattern])], OLD)))
    code, out, err = verify(tmp_path, document([allow([pattern])]),
                            document([allow([pattern])]))
    assert code == 0, (out, err)
    code, out, err = verify(tmp_path, document([allow([B + "*"])]),
                            document([allow([B + "*"]), allow([pattern])]))
    assert code == 0, (out, err)


def test_not_resource_with_a_variable(tmp_path):
    pattern = B + "home/" + USER + "/*"
    assert_undecided(verify(tmp_path, document([allow([pattern], key="NotResource")]),
                            document([allow([pattern], key="NotResource")], OLD)))
    # a Deny outside the user's home, dropped: even a resource outside every substitution is
    # allowed by ORIGINAL too when the unresolved variable voids the Deny
    everything = allow(["*"])
    deny = allow([pattern], key="NotResource", effect="Deny")
    assert_undecided(verify(tmp_path, document([everything, deny]), document([everything])))


def test_condition_with_a_variable_changes_meaning_with_version(tmp_path):
    """Conditions are opaque booleans; the same text read with and without substitution is
    two of them, so a Version change is refuted with their values, never proved."""
    statement = allow(["*"])
    statement["Condition"] = {"StringLike": {"s3:prefix": [USER + "/*"]}}
    code, out, err = verify(tmp_path, document([statement]), document([statement], OLD))
    assert code == 1 and "condition context (variables substituted) {" in out, (out, err)
    code, out, err = verify(tmp_path, document([statement]), document([statement]))
    assert code == 0, (out, err)


def test_an_unresolved_variable_may_void_the_whole_statement(tmp_path):
    """Either reading of AWS's documentation: the entry matches nothing, or the statement is
    invalid. Adding a variable entry to a Deny, or dropping one from an Allow, can then let
    REFINED allow b/secret (or ORIGINAL not allow b/public): never proved."""
    everything = allow(["*"])
    deny = allow([B + "secret"], effect="Deny")
    deny_more = allow([B + "secret", B + USER], effect="Deny")
    assert_undecided(verify(tmp_path, document([everything, deny]),
                            document([everything, deny_more])))
    assert_undecided(verify(tmp_path, document([allow([B + "public", B + USER])]),
                            document([allow([B + "public"])])))


def test_an_action_side_refutation_without_a_variable_is_still_refuted(tmp_path):
    mine = allow([B + USER])
    code, out, err = verify(tmp_path, document([mine]),
                            document([mine, allow([B + "shared/*"], ["s3:PutObject"])]))
    assert code == 1, (out, err)
    assert out.startswith("refuted: sound: REFINED allows s3:PutObject on resource "
                          f'"{B}shared/'), out


def test_recommendation_path_is_not_proved(tmp_path):
    """`verify ORIGINAL --aws-recommendation FILE` uses the same verifier."""
    original = document([allow([B + "$*"])])
    (tmp_path / "original.json").write_text(json.dumps(original))
    (tmp_path / "unused.json").write_text("[]")
    recommended = document([allow([B + "$*", B + USER])])
    (tmp_path / "rec.json").write_text(json.dumps({
        "recommendedSteps": [{"unusedPermissionsRecommendedStep": {
            "recommendedAction": "CREATE_POLICY",
            "recommendedPolicy": json.dumps(recommended),
            "existingPolicyId": "arn:aws:iam::123456789012:policy/p"}}],
        "status": "SUCCEEDED", "resourceArn": "arn:aws:iam::123456789012:role/r",
        "recommendationType": "UnusedPermissionRecommendation"}))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", str(tmp_path / "original.json"), "--aws-recommendation",
                     str(tmp_path / "rec.json"), "--unused", str(tmp_path / "unused.json"),
                     "--catalog", str(BLOG_CATALOG), "--allow-nothing-unused"])
    assert code == 3, (out.getvalue(), err.getvalue())
    assert "cannot decide: policy variable ${aws:username}" in out.getvalue()


# --- the class: random policies against IAM's rule by brute force -------------------------------

VALUES = ("alice", "*", "b", "", None)  # what ${aws:username} stands for; None: no value
# AWS: an entry whose variable has no value matches nothing; and an unresolved variable "might
# cause the entire statement to be invalid". A world is a value and one of the two readings.
WORLDS = tuple((v, "entry") for v in VALUES) + ((None, "statement"),)
DEFAULT = "${aws:username, 'guest'}"
PIECES = ("a", "/", "*", "?", "$", "}", "x", USER, USER, DEFAULT, "${*}", "${?}", "${$}")
ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
           "s3:GetObjectAcl")
UNUSED = "s3:DeleteObject"


def iam_regex(pattern: str, version, value) -> str | None:
    """IAM's reading of a resource entry as a Python regex, for a request whose aws:username
    is `value` (the substituted text taken literally); None when the entry matches nothing."""
    out, i = [], 0
    while i < len(pattern):
        if version == NEW and pattern.startswith(("${*}", "${?}", "${$}"), i):
            out.append(re.escape(pattern[i + 2]))
            i += 4
        elif version == NEW and pattern.startswith(DEFAULT, i):
            out.append(re.escape("guest" if value is None else value))
            i += len(DEFAULT)
        elif version == NEW and pattern.startswith(USER, i):
            if value is None:
                return None
            out.append(re.escape(value))
            i += len(USER)
        else:
            ch = pattern[i]
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
            i += 1
    return "".join(out)


def iam_allows(doc: dict, action: str, resource: str, world) -> bool:
    version, (value, reading) = doc.get("Version"), world

    def applies(s):
        if not any(re.fullmatch(re.escape(p).replace(r"\*", ".*").replace(r"\?", "."),
                                action, re.I | re.S) for p in s["Action"]):
            return False
        key = "Resource" if "Resource" in s else "NotResource"
        regexes = [iam_regex(p, version, value) for p in s[key]]
        if reading == "statement" and None in regexes:
            return False
        hit = any(rx is not None and re.fullmatch(rx, resource, re.S) for rx in regexes)
        return hit == (key == "Resource")
    live = [s for s in doc["Statement"] if applies(s)]
    return (any(s["Effect"] == "Allow" for s in live)
            and not any(s["Effect"] == "Deny" for s in live))


def violates(prop, original, refined, action, resource, world) -> bool:
    r = iam_allows(refined, action, resource, world)
    if prop == "sound":
        return r and not iam_allows(original, action, resource, world)
    if prop == "removes":
        return r and action == UNUSED
    return action != UNUSED and iam_allows(original, action, resource, world) and not r


def samples(original, refined):
    """Resources worth trying: instances of every entry under each reading and value."""
    out = {B + "alice", B, B + "zz"}
    for doc in (original, refined):
        for s in doc["Statement"]:
            for p in s.get("Resource", []) + s.get("NotResource", []):
                for version in (NEW, OLD):
                    for value in VALUES:
                        for fill in ("", "zz"):
                            out.add(instance(p, version, value, fill))
    return out


def instance(pattern, version, value, fill):
    """A string the entry matches under this reading: wildcards filled in."""
    out, i = [], 0
    while i < len(pattern):
        if version == NEW and pattern.startswith(("${*}", "${?}", "${$}"), i):
            out.append(pattern[i + 2])
            i += 4
        elif version == NEW and pattern.startswith(DEFAULT, i):
            out.append("guest" if value is None else value)
            i += len(DEFAULT)
        elif version == NEW and pattern.startswith(USER, i):
            out.append(value or "")
            i += len(USER)
        else:
            ch = pattern[i]
            out.append(fill if ch == "*" else "q" if ch == "?" else ch)
            i += 1
    return "".join(out)


entries = st.lists(st.sampled_from(PIECES), min_size=0, max_size=4).map(
    lambda ps: B + "".join(ps))
statements = st.builds(
    lambda effect, actions, key, resources: {"Effect": effect, "Action": actions,
                                             key: resources},
    st.sampled_from(("Allow", "Allow", "Deny")),
    st.lists(st.sampled_from(("s3:GetObject", "s3:GetObject", "s3:PutObject", "s3:Get*",
                              "s3:*Object")), min_size=1, max_size=2, unique=True),
    st.sampled_from(("Resource", "Resource", "NotResource")),
    st.lists(entries, min_size=1, max_size=3))
versions = st.sampled_from((NEW, OLD, None))
policies = st.builds(lambda v, ss: document(ss, v), versions,
                     st.lists(statements, min_size=1, max_size=3))


@st.composite
def pairs(draw):
    """ORIGINAL and REFINED: independent, or REFINED one small change away from ORIGINAL."""
    original = draw(policies)
    how = draw(st.sampled_from(("independent", "version", "version", "add entry",
                                "add entry", "same")))
    if how == "independent":
        return original, draw(policies)
    refined = json.loads(json.dumps(original))
    if how == "version":
        refined = document(refined["Statement"], draw(versions))
    elif how == "add entry":
        s = refined["Statement"][draw(st.integers(0, len(refined["Statement"]) - 1))]
        s["Resource" if "Resource" in s else "NotResource"].append(draw(entries))
    return original, refined


@pytest.mark.slow
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pair=pairs())
def test_never_proved_when_iam_differs(tmp_path_factory, pair):
    """Whenever IAM's rule, applied by brute force (aws:username standing for a few values,
    or none, under either reading), shows REFINED and ORIGINAL differ on a request, `verify`
    does not prove; and a refutation's counterexample violates the property in every world."""
    original, refined = pair
    code, out, err = verify(tmp_path_factory.mktemp("v"), original, refined, [UNUSED[3:]])
    assert code in (0, 1, 3), (code, out, err)
    resources = samples(original, refined)
    differs = next(((prop, a, r, w) for prop in ("sound", "removes", "complete")
                    for a in ACTIONS for r in resources for w in WORLDS
                    if violates(prop, original, refined, a, r, w)), None)
    if differs is not None:
        assert code != 0, (differs, out)
    if code == 1:
        m = re.match(r'refuted: (\w+): .*? (s3:\w+) on resource "(.*?)"(?:,| \(|$)', out)
        assert m, out
        prop, action, resource = m.groups()
        assert all(violates(prop, original, refined, action, resource, w) for w in WORLDS), out
    if code == 3:
        assert UNDECIDED.match(err), err
