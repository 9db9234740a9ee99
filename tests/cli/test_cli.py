"""Tests for the verify-refine command: golden refinements, output forms, errors, exit codes."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from tests.helpers import (
    BLOG,
    BLOG_CATALOG,
    BLOG_POLICY,
    BLOG_UNUSED,
    ROOT,
    S3_LAMBDA_CATALOG,
    run,
    script,
)
from verify_refine.cli import main
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.spec.glob import matches

EXPECTED_2024 = BLOG / "expected-2024.json"
EXPECTED_2026 = ROOT / "tests" / "fixtures" / "expected-2026.json"

# The order we emit the refined s3 list in: the token trie's order, then the kept pattern.
S3_2024 = ["s3:GetAccess*", "s3:GetAccountPublicAccessBlock", "s3:GetDataAccess",
           "s3:GetJobTagging", "s3:GetMulti*", "s3:GetObject*", "s3:GetStorage*", "s3:List*"]
S3_2026 = ["s3:GetAccess*", "s3:GetAccountPublicAccessBlock", "s3:GetBucketAbac",
           "s3:GetBucketMetadataTableConfiguration", "s3:GetDataAccess", "s3:GetJobTagging",
           "s3:GetMulti*", "s3:GetObject*", "s3:GetStorage*", "s3:List*"]


def refine_args(policy=BLOG_POLICY, unused=BLOG_UNUSED, catalog=BLOG_CATALOG, *more):
    return ["refine", policy, "--unused", unused, "--catalog", catalog, *more]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def names(path: Path) -> str:
    return "".join(f"{n}\n" for n in path)


def allowed(entries, action: str, key: str = "Action") -> bool:
    hit = any(matches(p, action) for p in ([entries] if isinstance(entries, str) else entries))
    return hit if key == "Action" else not hit


# --- the worked example ---------------------------------------------------------------------------

def check_golden(out: str, expected_path: Path, s3_list: list[str]):
    got, expected = json.loads(out), json.loads(expected_path.read_text())
    original = json.loads(BLOG_POLICY.read_text())
    assert list(got) == list(expected) == ["Version", "Statement"]
    assert len(got["Statement"]) == len(expected["Statement"]) == 2
    for mine, theirs, before in zip(got["Statement"], expected["Statement"],
                                    original["Statement"]):
        assert list(mine) == list(theirs) == list(before)  # same members, same order
        assert {k: v for k, v in mine.items() if k != "Action"} == \
            {k: v for k, v in theirs.items() if k != "Action"} == \
            {k: v for k, v in before.items() if k != "Action"}
        assert set(mine["Action"]) == set(theirs["Action"])
        assert len(mine["Action"]) == len(set(mine["Action"]))
    assert got["Statement"][0]["Action"] == ["lambda:Invoke*"]
    assert got["Statement"][1]["Action"] == s3_list


def test_golden_2024(capsys):
    code, out, err = run(capsys, *refine_args())
    assert code == 0
    check_golden(out, EXPECTED_2024, S3_2024)
    assert out == EXPECTED_2024.read_text()
    assert "catalog: catalog-2024-10-24.json sha256:" in err


def test_golden_2026(capsys):
    code, out, err = run(capsys, *refine_args(catalog=S3_LAMBDA_CATALOG))
    assert code == 0
    check_golden(out, EXPECTED_2026, S3_2026)
    assert out == EXPECTED_2026.read_text()
    # docs/DESIGN.md section 2: the 2024 entries, and two actions added since.
    got = set(json.loads(out)["Statement"][1]["Action"])
    assert got - set(S3_2024) == {"s3:GetBucketAbac", "s3:GetBucketMetadataTableConfiguration"}
    assert set(S3_2024) <= got


@pytest.mark.parametrize("catalog_path, golden", [(BLOG_CATALOG, EXPECTED_2024),
                                                  (S3_LAMBDA_CATALOG, EXPECTED_2026)])
def test_golden_is_right_over_its_catalog(catalog_path, golden):
    """Independently of the text: the refined s3 list allows exactly s3:Get*|s3:List* minus U."""
    cat = catalog_mod.load(str(catalog_path))
    unused = {f"{e['serviceNamespace']}:{a}".lower() for e in json.loads(BLOG_UNUSED.read_text())
              for a in e["actions"]}
    every = [f"{s}:{n}" for s, ns in cat.services.items() for n in ns]
    refined = json.loads(golden.read_text())["Statement"]
    original = json.loads(BLOG_POLICY.read_text())["Statement"]
    for before, after in zip(original, refined):
        for action in every:
            want = allowed(before["Action"], action) and action.lower() not in unused
            assert allowed(after["Action"], action) == want, action


def test_get_object_star_grants_three_actions_added_after_2024():
    """docs/DESIGN.md section 2: the same s3:GetObject* admits three more actions in 2026."""
    old = set(catalog_mod.load(str(BLOG_CATALOG)).matching("s3:GetObject*"))
    cat = catalog_mod.load(str(S3_LAMBDA_CATALOG))
    new = set(cat.matching("s3:GetObject*"))
    assert old < new
    assert len(new) - len(old) == 3
    assert sorted(cat.canonical(a) for a in new - old) == [
        "s3:GetObjectAnnotation", "s3:GetObjectVersionAnnotation",
        "s3:GetObjectVersionAnnotationForReplication"]


# --- output forms --------------------------------------------------------------------------------

def test_output_file(capsys, tmp_path):
    out_path = tmp_path / "refined.json"
    code, out, err = run(capsys, *refine_args(), "-o", out_path)
    assert code == 0
    assert out == ""
    text = out_path.read_text(encoding="utf-8")
    assert text == EXPECTED_2024.read_text()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert "catalog: catalog-2024-10-24.json sha256:3edf13ff23a2" in err
    assert "proved: sound" in err and "unproved" not in err
    assert f"wrote {out_path}" in err
    assert [p.name for p in tmp_path.iterdir()] == ["refined.json"]  # no temporary left


def test_output_file_replaces_an_existing_one(capsys, tmp_path):
    out_path = write(tmp_path / "refined.json", "old content, longer than nothing\n" * 200)
    code, _, _ = run(capsys, *refine_args(), "-o", out_path)
    assert code == 0
    assert out_path.read_text() == EXPECTED_2024.read_text()


def test_output_file_mode_follows_umask(capsys, tmp_path):
    old = os.umask(0o022)
    try:
        out_path = tmp_path / "refined.json"
        assert run(capsys, *refine_args(), "-o", out_path)[0] == 0
        assert stat.S_IMODE(out_path.stat().st_mode) == 0o644
        out_path.chmod(0o664)
        assert run(capsys, *refine_args(), "-o", out_path)[0] == 0
        assert stat.S_IMODE(out_path.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_diff(capsys):
    code, out, err = run(capsys, *refine_args(), "--diff")
    assert code == 0
    lines = out.splitlines()
    assert '-        "s3:Get*",' in lines
    assert '+        "s3:GetObject*",' in lines
    assert '-        "lambda:AddPermission",' in lines
    assert '         "s3:List*"' in lines
    assert '         "lambda:Invoke*"' in lines
    removed = [l for l in lines if l.startswith("-")]
    added = [l for l in lines if l.startswith("+")]
    assert len(removed) == 9 and len(added) == 7
    assert all(l[:1] in "-+ " for l in lines)
    assert "proved: sound" in err and "unproved" not in err


def test_format_json(capsys, tmp_path):
    out_path = tmp_path / "refined.json"
    code, out, _ = run(capsys, *refine_args(), "--format", "json", "-o", out_path)
    assert code == 0
    data = json.loads(out)
    for key in ("format", "version", "catalog", "refined_policy", "detach", "statements",
                "warnings"):
        assert key in data
    assert data["format"] == "verify-refine/refine-result"
    assert data["version"] == 1
    assert data["catalog"]["name"] == "catalog-2024-10-24.json"
    assert data["catalog"]["version"] == "sha256:3edf13ff23a2"
    assert data["refined_policy"] == json.loads(EXPECTED_2024.read_text())
    assert data["refined_policy"] == json.loads(out_path.read_text())
    assert data["detach"] is False
    assert data["warnings"] == []
    s3 = data["statements"][1]
    assert [p["text"] for p in s3["patterns"]] == ["s3:Get*", "s3:List*"]
    assert [p["status"] for p in s3["patterns"]] == ["narrowed", "kept"]
    assert len(s3["patterns"][0]["removed_unused"]) == 22
    assert [e["text"] for e in s3["entries"]] == S3_2024
    unused = {f"s3:{a}" for e in json.loads(BLOG_UNUSED.read_text()) if e["serviceNamespace"] == "s3"
              for a in e["actions"]}
    for entry in s3["entries"]:
        assert {"origin", "parent", "witness"} <= set(entry)
        if entry["text"] == "s3:List*":
            assert entry["origin"] == "s3:List*" and entry["witness"] is None
            continue
        assert entry["origin"] == "s3:Get*"
        assert entry["parent"] and all(isinstance(p, str) for p in entry["parent"])
        # minimal: the parent would admit the witness, and the witness is unused.
        assert entry["witness"] in unused
        assert any(matches(p, entry["witness"]) for p in entry["parent"])
        assert not matches(entry["text"], entry["witness"])
    lam = data["statements"][0]
    assert [e["text"] for e in lam["entries"]] == ["lambda:Invoke*"]
    assert [p["status"] for p in lam["patterns"]].count("dropped") == 8


# --- bad input: exit 2, one line, nothing written ------------------------------------------------

TRAILING_COMMA = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:List*",],
      "Resource": "*"
    }
  ]
}
"""

DUPLICATE_KEY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "*",
      "Effect": "Deny"
    }
  ]
}
"""


@pytest.mark.parametrize("text, message", [
    (TRAILING_COMMA, "6:44: trailing comma"),
    (DUPLICATE_KEY, '8:7: duplicate key "Effect" (first at line 5, column 7)'),
])
def test_bad_policy(capsys, tmp_path, text, message):
    policy = write(tmp_path / "policy.json", text)
    out_path = tmp_path / "out.json"
    code, out, err = run(capsys, *refine_args(policy=policy), "-o", out_path)
    assert code == 2
    assert err == f"{policy}:{message}\n"
    assert re.fullmatch(r"[^\n]+:\d+:\d+: [^\n]+\n", err)
    assert out == ""
    assert not out_path.exists()
    assert sorted(os.listdir(tmp_path)) == ["policy.json"]


def test_bad_findings_and_catalog_write_nothing(capsys, tmp_path):
    out_path = tmp_path / "out.json"
    bad_unused = write(tmp_path / "unused.json", '[{"serviceNamespace": "s3", "actions": 3}]')
    code, out, err = run(capsys, *refine_args(unused=bad_unused), "-o", out_path)
    assert (code, out) == (2, "")
    assert err == f"{bad_unused}:1:40: [0].actions: expected a list\n"
    assert not out_path.exists()

    bad_json = write(tmp_path / "unused2.json", '[\n  "s3:GetObject",\n]\n')
    code, out, err = run(capsys, *refine_args(unused=bad_json), "-o", out_path)
    assert (code, out, err) == (2, "", f"{bad_json}:2:17: trailing comma\n")
    assert not out_path.exists()

    bad_catalog = write(tmp_path / "catalog.json", '{"s3": ["GetObject"],\n}')
    code, out, err = run(capsys, *refine_args(catalog=bad_catalog), "-o", out_path)
    assert (code, out) == (2, "")
    assert err == f"{bad_catalog}:1:21: trailing comma\n"
    assert not out_path.exists()


def test_existing_output_is_untouched_on_error(capsys, tmp_path):
    out_path = tmp_path / "out.json"
    out_path.write_bytes(b'{"keep": "me"}\r\n\x00')
    before = out_path.stat()
    for args in (refine_args(policy=write(tmp_path / "p.json", TRAILING_COMMA)),
                 refine_args(unused=write(tmp_path / "u.txt", "s3:Get*\n")),
                 refine_args(catalog=write(tmp_path / "c.json", "[]"))):
        code, out, err = run(capsys, *args, "-o", out_path)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1
    assert out_path.read_bytes() == b'{"keep": "me"}\r\n\x00'
    assert out_path.stat().st_mtime_ns == before.st_mtime_ns
    assert out_path.stat().st_ino == before.st_ino


@pytest.mark.parametrize("case", ["missing folder", "missing policy", "policy is a folder",
                                  "output is a folder", "missing findings", "missing catalog"])
def test_files_that_are_not_there(capsys, tmp_path, case):
    args = {
        "missing folder": refine_args() + ["-o", tmp_path / "no" / "such" / "out.json"],
        "missing policy": refine_args(policy=tmp_path / "nope.json"),
        "policy is a folder": refine_args(policy=tmp_path),
        "output is a folder": refine_args() + ["-o", tmp_path],
        "missing findings": refine_args(unused=tmp_path / "nope.json"),
        "missing catalog": refine_args(catalog=tmp_path / "nope.json"),
    }[case]
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.endswith("\n")
    assert str(tmp_path) in err
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("argv, words", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["refine", BLOG_POLICY], "the following arguments are required: --unused"),
    (["refine", "--unused", BLOG_UNUSED], "the following arguments are required: POLICY"),
    (["refine", BLOG_POLICY, "--unused", BLOG_UNUSED, "--format", "yaml"], "invalid choice: 'yaml'"),
    (["refine", BLOG_POLICY, "--unused", BLOG_UNUSED, "--frob"], "unrecognized arguments: --frob"),
    ([], "choose a command"),
    (["catalog"], "choose a subcommand"),
    (["catalog", "frob"], "invalid choice: 'frob'"),
])
def test_usage_errors(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert words in err
    assert err.startswith("verify-refine")


@pytest.mark.parametrize("argv, usage", [
    ([], "usage: verify-refine"),
    (["refine"], "usage: verify-refine refine"),
    (["catalog"], "usage: verify-refine catalog"),
    (["catalog", "export"], "usage: verify-refine catalog export"),
    (["catalog", "info"], "usage: verify-refine catalog info"),
])
def test_help(capsys, argv, usage):
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--help"])
    assert caught.value.code == 0
    out, err = capsys.readouterr()
    assert out.startswith(usage)
    assert err == ""
    if argv == ["refine"]:
        for option in ("--unused", "--catalog", "--output", "--diff", "--format"):
            assert option in out


# --- catalog export and info ---------------------------------------------------------------------

def test_catalog_export_is_the_file(capsys):
    code, out, err = run(capsys, "catalog", "export", "--catalog", BLOG_CATALOG)
    assert (code, err) == (0, "")
    assert out.encode("utf-8") == BLOG_CATALOG.read_bytes()


def test_catalog_export_services(capsys):
    code, out, _ = run(capsys, "catalog", "export", "--catalog", BLOG_CATALOG,
                       "--services", "s3")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["s3"]
    assert data["s3"] == json.loads(BLOG_CATALOG.read_text())["s3"]
    code, out, _ = run(capsys, "catalog", "export", "--catalog", BLOG_CATALOG,
                       "--services", "s3,lambda")
    assert list(json.loads(out)) == ["lambda", "s3"]


def test_catalog_export_unknown_service(capsys):
    code, out, err = run(capsys, "catalog", "export", "--catalog", BLOG_CATALOG,
                         "--services", "s3,ec2")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "ec2" in err


def test_catalog_info(capsys):
    code, out, _ = run(capsys, "catalog", "info", "--catalog", S3_LAMBDA_CATALOG)
    assert code == 0
    assert out == ("catalog-2026-10-27-lambda-s3.json sha256:698946ec47b4: "
                   "2 services, 315 actions\n")


# --- detach --------------------------------------------------------------------------------------

ALL_UNUSED = {"Sid": "Lambda", "Effect": "Allow",
              "Action": ["lambda:GetFunction", "lambda:DeleteFunction"], "Resource": "*"}
DENY = {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}


def test_detach_keeps_the_deny_statements(capsys, tmp_path):
    policy = write(tmp_path / "p.json", json.dumps(
        {"Version": "2012-10-17", "Statement": [ALL_UNUSED, DENY]}))
    unused = write(tmp_path / "u.txt", "lambda:GetFunction\nlambda:DeleteFunction\n"
                                       "s3:DeleteBucket\n")
    out_path = tmp_path / "out.json"
    code, out, err = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG), "-o", out_path)
    assert (code, out) == (0, "")
    assert json.loads(out_path.read_text()) == {"Version": "2012-10-17", "Statement": [DENY]}
    assert "detach" in err
    assert "Deny statements only" in err

    code, out, _ = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG), "--format", "json")
    assert json.loads(out)["detach"] is True


def test_detach_without_deny_writes_an_empty_statement_list(capsys, tmp_path):
    policy = write(tmp_path / "p.json", json.dumps(
        {"Version": "2012-10-17", "Statement": ALL_UNUSED}))
    unused = write(tmp_path / "u.json", '[{"serviceNamespace": "lambda"}]')
    out_path = tmp_path / "out.json"
    code, out, err = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG), "-o", out_path)
    assert (code, out) == (0, "")
    text = out_path.read_text()
    assert '"Statement": []' in text
    assert json.loads(text) == {"Version": "2012-10-17", "Statement": []}
    assert "detach" in err and "empty Statement list" in err


# --- the user's text is kept ---------------------------------------------------------------------

KEEP_POLICY = """{
  "Statement": {
    "Resource": "*",
    "Action": [
      "S3:listbucket",
      "s3:Get*",
      "lambda:GetFunction"
    ],
    "Sid": "Mixed",
    "Effect": "Allow",
    "Condition": {
      "NumericLessThan": {
        "s3:max-keys": 1.50
      },
      "NumericEquals": {
        "aws:x": [
          1e3,
          -0,
          10.000,
          0.1E+2,
          12345678901234567890123
        ]
      },
      "StringEquals": {
        "aws:PrincipalTag/team": "café ☃"
      }
    }
  },
  "Id": "keep-me",
  "Version": "2012-10-17"
}
"""


def test_text_case_key_order_and_numbers_are_kept(capsys, tmp_path):
    policy = write(tmp_path / "p.json", KEEP_POLICY)
    unused = write(tmp_path / "u.txt", "lambda:GetFunction\n")
    code, out, _ = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    # Only the unused entry goes: everything else, numbers' text included, is byte-identical.
    assert out == KEEP_POLICY.replace('"s3:Get*",\n      "lambda:GetFunction"\n',
                                      '"s3:Get*"\n')
    data = json.loads(out)
    assert isinstance(data["Statement"], dict)  # an object stays an object
    assert list(data) == ["Statement", "Id", "Version"]
    assert list(data["Statement"]) == ["Resource", "Action", "Sid", "Effect", "Condition"]


def test_unchanged_entries_keep_their_text_next_to_narrowed_ones(capsys, tmp_path):
    policy = write(tmp_path / "p.json", KEEP_POLICY)
    unused = write(tmp_path / "u.txt", "s3:GetBucketAcl\n")
    code, out, _ = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    data = json.loads(out)
    actions = data["Statement"]["Action"]
    assert actions[0] == "S3:listbucket"
    assert actions[-1] == "lambda:GetFunction"
    assert "s3:Get*" not in actions
    assert not any(matches(a, "s3:GetBucketAcl") for a in actions)
    start = KEEP_POLICY.index('    "Sid"')
    assert out.endswith(KEEP_POLICY[start:])  # Sid, Effect, Condition, Id, Version as written


def test_string_action_stays_a_string(capsys, tmp_path):
    statements = [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"},
                  {"Effect": "Allow", "Action": "S3:GETOBJECT", "Resource": "*"},
                  {"Effect": "Allow", "Action": ["lambda:Invoke*"], "Resource": "*"},
                  {"Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": "*"}]
    policy = write(tmp_path / "p.json", json.dumps({"Version": "2012-10-17",
                                                     "Statement": statements}))
    unused = write(tmp_path / "u.txt", "s3:GetBucketAcl\n")
    code, out, _ = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    assert json.loads(out)["Statement"] == statements[:3]


# --- NotAction and Deny --------------------------------------------------------------------------

def test_not_action_gets_the_unused_actions(capsys, tmp_path):
    policy = write(tmp_path / "p.json", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllButIam", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}]}))
    unused_names = ["s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus",
                    "s3:GetObjectTagging", "s3:GetBucketCORS", "s3:GetAccelerateConfiguration"]
    unused = write(tmp_path / "u.txt", names(unused_names))
    code, out, _ = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    stmt = json.loads(out)["Statement"][0]
    assert list(stmt) == ["Sid", "Effect", "NotAction", "Resource"]
    assert stmt["NotAction"][0] == "iam:*"
    assert len(stmt["NotAction"]) > 1
    cat = catalog_mod.load(str(S3_LAMBDA_CATALOG))
    every = [f"{s}:{n}" for s, ns in cat.services.items() for n in ns]
    lowered = {u.lower() for u in unused_names}
    for action in every + ["iam:CreateUser", "ec2:RunInstances"]:
        before = allowed(["iam:*"], action, "NotAction")
        after = allowed(stmt["NotAction"], action, "NotAction")
        assert after == (before and action.lower() not in lowered), action


def test_deny_statements_are_never_changed(capsys, tmp_path):
    deny = [{"Sid": "D1", "Effect": "Deny", "Action": ["s3:GetBucketAcl", "s3:Get*", "lambda:*"],
             "Resource": "*"},
            {"Effect": "Deny", "NotAction": "s3:GetBucketAcl", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Deny", "Action": "S3:getbucketacl", "Resource": "*"}]
    allow = {"Effect": "Allow", "Action": ["s3:GetBucketAcl", "s3:List*"], "Resource": "*"}
    policy = write(tmp_path / "p.json", json.dumps({"Version": "2012-10-17",
                                                     "Statement": [deny[0], allow, *deny[1:]]}))
    unused = write(tmp_path / "u.json", '[{"serviceNamespace": "s3", "actions": ["GetBucketAcl"]},'
                                        ' {"serviceNamespace": "lambda"}]')
    code, out, _ = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    got = json.loads(out)["Statement"]
    assert got == [deny[0], {**allow, "Action": ["s3:List*"]}, *deny[1:]]


def test_unknown_unused_names_still_go(capsys, tmp_path):
    policy = write(tmp_path / "p.json", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetFrobnication", "s3:List*"], "Resource": "*"}]}))
    unused = write(tmp_path / "u.txt", "s3:getfrobnication\n")
    code, out, err = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    assert json.loads(out)["Statement"][0]["Action"] == ["s3:List*"]
    assert 'warning: ' in err and '"s3:getfrobnication" is not in the catalog' in err


def test_warning_does_not_say_kept_for_a_dropped_pattern(capsys, tmp_path):
    policy = write(tmp_path / "p.json", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetFrobnication", "s3:List*"], "Resource": "*"}]}))
    unused = write(tmp_path / "u.txt", "s3:GetFrobnication\n")
    code, out, err = run(capsys, *refine_args(policy, unused, S3_LAMBDA_CATALOG))
    assert code == 0
    assert "s3:GetFrobnication" not in json.loads(out)["Statement"][0]["Action"]
    assert "kept as written" not in err


# --- through the installed console script --------------------------------------------------------

def test_script_golden_2024_from_the_repo_root():
    result = script("refine", "examples/blog/policy.json", "--unused",
                    "examples/blog/unused.json", "--catalog",
                    "examples/blog/catalog-2024-10-24.json", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_2024.read_text()
    assert "proved: sound" in result.stderr


def test_script_bad_input_has_no_traceback(tmp_path):
    policy = write(tmp_path / "policy.json", DUPLICATE_KEY)
    out_path = tmp_path / "out.json"
    result = script("refine", policy, "--unused", BLOG_UNUSED, "--catalog", BLOG_CATALOG,
                    "-o", out_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f'{policy}:8:7: duplicate key "Effect" '
                             "(first at line 5, column 7)\n")
    assert not out_path.exists()
    result = script("refine", policy)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_script_catalog_export_and_help():
    result = script("catalog", "export", "--catalog", BLOG_CATALOG)
    assert result.returncode == 0
    assert result.stdout.encode("utf-8") == BLOG_CATALOG.read_bytes()
    result = script("--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: verify-refine")
    result = script("refine", "--help")
    assert result.returncode == 0 and "--unused" in result.stdout


def test_script_deep_catalog_is_a_clean_error(tmp_path):
    deep = write(tmp_path / "deep.json", '{"s3": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = script("catalog", "info", "--catalog", deep)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1


def test_duplicate_catalog_names_do_not_widen_the_output(capsys, tmp_path):
    policy = write(tmp_path / "p.json", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))
    unused = write(tmp_path / "u.txt", "s3:GetBucketAcl\n")
    single = write(tmp_path / "single.json", '{"s3": ["GetObject", "GetBucketAcl"]}')
    double = write(tmp_path / "double.json", '{"s3": ["GetObject", "GetObject", "GetBucketAcl"]}')
    code, out, _ = run(capsys, *refine_args(policy, unused, single))
    assert code == 0 and json.loads(out)["Statement"][0]["Action"] == "s3:GetObject"
    code, out, _ = run(capsys, *refine_args(policy, unused, double))
    assert code == 2 or json.loads(out)["Statement"][0]["Action"] == "s3:GetObject"
