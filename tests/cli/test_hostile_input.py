"""Issue 10, items 10 to 13: inputs built to hang or exhaust the tool, and inputs that name
nothing, through the real command line.

- 10: glob matching in the untrusted code is linear (no backtracking), whatever the stars;
- 11: every input is read up to its limit plus one byte, devices and pipes included;
- 12: repeated entries collapse before any work, and a policy holds at most 5,000 entries;
- 13: a findings input that names nothing unused is one error, whatever its format, unless
  --allow-nothing-unused; --diff ends with a newline.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import (
    BLOG,
    BLOG_CATALOG,
    S3_LAMBDA_CATALOG,
    files_under,
    one_line_error,
    policy_doc,
    write_json,
)
from verify_refine.inputs.policy import MAX_ENTRIES
from verify_refine.spec.glob import matches
from verify_refine.spec.languages import fast_match

REFINE_BLOG = ("--catalog", BLOG_CATALOG)


# ------------------------------------------------------------------ 10: no backtracking


def test_thirty_stars_refine_in_well_under_a_second(cli, tmp_path):
    """The issue's example, at 30 stars: exponential backtracking would take hours."""
    policy = write_json(tmp_path / "p.json", policy_doc("s3:" + "*a" * 30 + "*b",
                                                        "s3:GetObject"))
    unused = write_json(tmp_path / "u.json", ["s3:" + "a" * 40])
    started = time.perf_counter()
    code, _, err = cli("refine", policy, "--unused", unused, "--catalog", S3_LAMBDA_CATALOG,
                       "--no-prove")
    assert code == 0, err
    assert time.perf_counter() - started < 5  # generous for a loaded machine; about 0.1 s


@settings(max_examples=300, deadline=None)
@given(stars=st.integers(8, 40), pieces=st.lists(st.text(alphabet="ab?", max_size=2),
                                                 min_size=1, max_size=40),
       text=st.text(alphabet="ab", min_size=20, max_size=80))
def test_many_stars_match_fast_and_as_the_reference_does(stars, pieces, text):
    pattern = "*".join(pieces[:stars]) + "*" * (stars >= len(pieces))
    started = time.perf_counter()
    assert fast_match(pattern, text) == matches(pattern, text)
    assert time.perf_counter() - started < 1


# ------------------------------------------------------------------ 11: bounded reads


@pytest.mark.parametrize("role", ["policy", "unused", "catalog", "certificate"])
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_after_their_limit(cli, tmp_path, role, device):
    argv = {"policy": ["refine", device, "--unused", BLOG / "unused.json", *REFINE_BLOG],
            "unused": ["refine", BLOG / "policy.json", "--unused", device, *REFINE_BLOG],
            "catalog": ["refine", BLOG / "policy.json", "--unused", BLOG / "unused.json",
                        "--catalog", device],
            "certificate": ["check", device]}[role]
    started = time.perf_counter()
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    line = one_line_error(err)
    assert line.startswith(f"{device}: larger than"), line
    assert time.perf_counter() - started < 30
    assert files_under(tmp_path) == []


# ------------------------------------------------------------------ 12: large inputs


def test_repeated_entries_collapse(cli, tmp_path):
    """5,000 copies of one wildcard cost about what one does (9,000 took 28 s before the fix)."""
    policy = write_json(tmp_path / "p.json", policy_doc(*["s3:Get*"] * 5000))
    unused = write_json(tmp_path / "u.json", ["s3:GetObject", "s3:GetBucketAcl"])
    started = time.perf_counter()
    code, _, err = cli("refine", policy, "--unused", unused, "--catalog", S3_LAMBDA_CATALOG,
                       "-o", tmp_path / "out.json")
    assert code == 0, err
    assert time.perf_counter() - started < 15
    entries = json.loads((tmp_path / "out.json").read_text())["Statement"][0]["Action"]
    assert len(entries) == len(set(entries))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.sampled_from(["s3:Get*", "s3:get*", "s3:GetObject", "s3:List*",
                                         "lambda:*", "s3:Put*", "*:Get*"]),
                        min_size=1, max_size=8),
       repeats=st.lists(st.integers(1, 30), min_size=8, max_size=8))
def test_a_policy_with_repeats_refines_as_its_distinct_entries_do(cli, tmp_path, entries,
                                                                   repeats):
    unused = write_json(tmp_path / "u.json", ["s3:GetObject", "s3:PutObjectAcl"])
    repeated = [e for e, n in zip(entries, repeats) for _ in range(n)]
    outs = []
    for name, actions in (("once", list(dict.fromkeys(entries))), ("many", repeated)):
        policy = write_json(tmp_path / f"{name}.json", policy_doc(*actions))
        code, out, err = cli("refine", policy, "--unused", unused, "--catalog",
                             S3_LAMBDA_CATALOG)
        assert code == 0, err
        statements = json.loads(out)["Statement"]  # none left: the policy is to be detached
        outs.append(statements[0]["Action"] if statements else [])
    once, many = outs
    folded = lambda xs: sorted({x.lower() for x in xs})  # noqa: E731
    assert folded(once) == folded(many)


def test_more_entries_than_the_limit_is_bad_input(cli, tmp_path):
    doc = policy_doc(*["s3:GetObject"] * (MAX_ENTRIES // 2))
    doc["Statement"].append(dict(doc["Statement"][0], Action=["s3:PutObject"] * (
        MAX_ENTRIES // 2 + 1)))
    policy = write_json(tmp_path / "p.json", doc)
    code, out, err = cli("refine", policy, "--unused", BLOG / "unused.json", *REFINE_BLOG)
    assert (code, out) == (2, "")
    assert one_line_error(err).startswith(f"{policy}:1:")
    assert "more than 5,000 Action and NotAction entries" in err


# ------------------------------------------------------------------ 13: nothing unused


NOTHING = {"empty.txt": "", "comments.txt": "# nothing here\n\n   # still nothing\n",
           "list.json": "[]", "v2.json": json.dumps({"findingType": "UnusedPermission",
                                                     "findingDetails": []}),
           "v2-other-details.json": json.dumps({"findingType": "UnusedPermission",
                                                "findingDetails": [{"other": {}}]})}


@pytest.mark.parametrize("name", sorted(NOTHING) + ["/dev/null"])
def test_findings_that_name_nothing_are_one_error(cli, tmp_path, name):
    if name.startswith("/"):
        path = name
    else:
        path = tmp_path / name
        path.write_text(NOTHING[name])
    args = ("refine", BLOG / "policy.json", "--unused", path, *REFINE_BLOG)
    code, out, err = cli(*args, "-o", tmp_path / "out.json")
    assert (code, out) == (2, "")
    assert one_line_error(err) == (f"{path}: names nothing unused, so there is nothing to "
                                   "remove (give --allow-nothing-unused to go on anyway)")
    assert not (tmp_path / "out.json").exists()
    code, out, err = cli(*args, "--allow-nothing-unused")
    assert code == 0, err
    assert json.loads(out) == json.loads((BLOG / "policy.json").read_text())


def test_verify_applies_the_same_rule(cli, tmp_path):
    empty = tmp_path / "u.json"
    empty.write_text("[]")
    code, _, err = cli("verify", BLOG / "policy.json", BLOG / "policy.json", "--unused", empty,
                       *REFINE_BLOG)
    assert code == 2 and "names nothing unused" in err
    code, out, err = cli("verify", BLOG / "policy.json", BLOG / "policy.json", "--unused",
                         empty, *REFINE_BLOG, "--allow-nothing-unused")
    assert code == 0 and out.startswith("proved"), err


@pytest.mark.parametrize("example", ["blog", "deployer", "analyst"])
def test_diff_ends_with_a_newline(cli, example):
    folder = BLOG.parent / example
    catalog = next(folder.glob("catalog-*.json"))
    code, out, err = cli("refine", folder / "policy.json", "--unused", folder / "unused.json",
                         "--catalog", catalog, "--diff")
    assert code == 0, err
    assert out.endswith("\n") and not out.endswith("\n\n")
