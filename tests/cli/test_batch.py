"""`verify-refine batch`: every role's and user's policies of an account refined, proved and
certified in parallel, one failure reported in its row while the rest go on; a summary table."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, MANAGED, require, run
from verify_refine.batch import certify
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.policy import parse_policy
from verify_refine.report import batch_summary
from verify_refine.verdict import Problem

ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"
ACCOUNT_ID = "111122223333"


def small(capsys, out: Path, *more):
    return run(capsys, "batch", ACCOUNT, "--findings", FINDINGS, "-o", out, "--catalog",
               BLOG_CATALOG, "--jobs", "2", *more)


def rows(out: Path) -> list[dict]:
    text = (out / "summary.csv").read_text()
    assert text.splitlines()[0] == ",".join(batch_summary.COLUMNS)
    return list(csv.DictReader(io.StringIO(text)))


def table_rows(out: Path) -> list[str]:
    lines = (out / "summary.md").read_text().splitlines()
    return [line for line in lines if line.startswith("| ") and not line.startswith("| principal")]


# --- the committed account -----------------------------------------------------------------------

def test_small_account_every_policy_proved_and_certified(capsys, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = small(capsys, out)
    assert code == 0, err
    got = [(r["principal"], r["principal_type"], r["policy"], r["policy_kind"], r["verdict"])
           for r in rows(out)]
    assert got == [("app-deployer", "role", "invoke-and-read", "inline", "proved"),
                   ("app-deployer", "role", "lambda-deploy", "managed", "detach"),
                   ("app-deployer", "role", "AWSLambda_ReadOnlyAccess", "aws-managed", "proved"),
                   ("data-reader", "role", "read-reports", "inline", "proved"),
                   ("ci-bot", "user", "ci-publish", "inline", "proved"),
                   ("ci-bot", "user", "dev-read", "group-inline", "proved")]
    blog = rows(out)[0]
    # The worked example: 8 lambda and 22 s3 actions go; 11 entries become 9.
    assert (blog["entries_before"], blog["entries_after"], blog["catalog_actions_removed"]) == \
        ("11", "9", "30")
    assert int(blog["size_after"]) < int(blog["size_before"])
    assert all(r["error"] == "" for r in rows(out))
    assert stdout.startswith("batch: 6 policies: 5 proved, 1 detach, 0 refuted, 0 unknown, "
                             "0 error; 1 skipped")
    # Not a terminal: one line per policy at the end, no progress bar.
    assert "\r" not in err and err.count("\n") >= 5
    assert "role data-reader: read-reports (inline): proved; entries 5 -> " in err
    # The v2 (default) version of lambda-deploy, not v1's lambda:*, was refined.
    original = json.loads((out / "app-deployer" / "lambda-deploy.original.json").read_text())
    assert original["Statement"][0]["Sid"] == "ManageDeployLambda"
    refined = json.loads((out / "app-deployer" / "lambda-deploy.refined.json").read_text())
    assert refined["Statement"] == []
    # The URL-encoded inline policy was decoded; the findings used sit beside it.
    assert (out / "data-reader" / "read-reports.original.json").read_text().startswith("{\n")
    assert (out / "ci-bot" / "findings.txt").read_bytes() == \
        (FINDINGS / "ci-bot.txt").read_bytes()
    certs = sorted(out.glob("*/*.cert.json"))
    assert len(certs) == 6
    for cert in certs:
        code, text, _ = run(capsys, "check", cert)
        assert code == 0 and "valid" in text


def test_small_account_summary_lists_what_was_skipped(capsys, tmp_path):
    out = tmp_path / "out"
    assert small(capsys, out)[0] == 0
    md = (out / "summary.md").read_text()
    assert len(table_rows(out)) == 6
    assert "| " + " | ".join(batch_summary.COLUMNS) + " |" in md
    assert "- role `batch-idle`: no findings" in md
    assert "- 1 AWS managed policy refined: AWS owns them" in md
    assert "1 group: not refined as groups" in md
    assert "`finding-c2b6e0f3.json`: findingType UnusedIAMRole names no unused actions" in md
    assert not (out / "batch-idle").exists()


def test_a_refuted_policy_leaves_no_refined_file_and_exits_1(capsys, tmp_path, monkeypatch):
    from verify_refine.prove import prover

    out = tmp_path / "out"
    assert small(capsys, out)[0] == 0
    real = prover.run

    def run_refuting(plan, unused, catalog, timeout_s, solver="z3"):
        if "lambda:PublishVersion" in unused.actions:  # ci-bot's findings only
            return prover.Proof(prover.REFUTED, [], [Problem(
                "VR-structure", "injected for the test", "structure")])
        return real(plan, unused, catalog, timeout_s, solver)

    monkeypatch.setattr(prover, "run", run_refuting)  # in this process: --jobs 1
    code, stdout, _ = small(capsys, out, "--jobs", "1", "--no-cache")
    assert code == 1
    by_policy = {r["policy"]: r for r in rows(out)}
    assert by_policy["ci-publish"]["verdict"] == "refuted"
    assert by_policy["ci-publish"]["error"] == "refuted: structure: injected for the test"
    assert not (out / "ci-bot" / "ci-publish.refined.json").exists()
    assert not (out / "ci-bot" / "ci-publish.cert.json").exists()
    assert (out / "ci-bot" / "ci-publish.original.json").exists()
    assert by_policy["read-reports"]["verdict"] == "proved"
    assert by_policy["dev-read"]["verdict"] == "refuted"  # ci-bot's group policy: its findings
    assert "2 refuted" in stdout


def test_iam_size_counts_the_compact_json_without_whitespace():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*"],
                                                   "Resource": "*"}]}
    compact = json.dumps(doc, separators=(",", ":"))
    assert certify.iam_size(doc) == len(compact)
    assert certify.iam_size(json.loads(json.dumps(doc, indent=8))) == len(compact)
    policy = parse_policy(b'{"Version": "2012-10-17", "Statement": {"Effect": "Allow", '
                          b'"Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan":'
                          b' {"s3:max-keys": 1.50}}}}', "p.json")
    assert certify.iam_size(dict(policy.members)) == len(
        '{"Statement":{"Action":"s3:*","Condition":{"NumericLessThan":{"s3:max-keys":1.50}},'
        '"Effect":"Allow","Resource":"*"},"Version":"2012-10-17"}')


def test_names_that_collide_and_findings_that_cannot_be_used(capsys, tmp_path):
    auth = json.loads(ACCOUNT.read_text())
    deployer = auth["RoleDetailList"][0]
    deployer["RolePolicyList"].append({"PolicyName": "lambda-deploy",
                                       "PolicyDocument": deployer["RolePolicyList"][0][
                                           "PolicyDocument"]})
    auth["UserDetailList"].append(dict(auth["UserDetailList"][0], UserName="data-reader",
                                       Arn="arn:aws:iam::123456789012:user/data-reader"))
    auth["RoleDetailList"][1]["AttachedManagedPolicies"] = [
        {"PolicyName": "gone", "PolicyArn": "arn:aws:iam::123456789012:policy/gone"}]
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(auth))
    found = tmp_path / "findings"
    found.mkdir()
    for f in FINDINGS.iterdir():
        (found / f.name).write_bytes(f.read_bytes())
    (found / "ci-bot.json").write_text('[{"serviceNamespace": "s3", "actions": ["PutBucketAcl"],}]')
    (found / "nobody.json").write_text("[]")
    out = tmp_path / "out"
    code, _, _ = run(capsys, "batch", path, "--findings", found, "-o", out, "--catalog", BLOG_CATALOG)
    assert code == 1
    got = {(r["principal_type"], r["principal"], r["policy"]): (r["verdict"], r["error"])
           for r in rows(out)}
    assert got[("role", "app-deployer", "lambda-deploy")][0] == "detach"  # managed
    assert (out / "app-deployer" / "lambda-deploy.refined.json").exists()  # the inline one
    assert (out / "app-deployer" / "lambda-deploy.managed.refined.json").exists()
    assert got[("role", "data-reader", "gone")] == (
        "error", f"{path}: arn:aws:iam::123456789012:policy/gone is attached but not in "
                 "Policies (was the file made with --filter LocalManagedPolicy?)")
    assert got[("role", "data-reader", "read-reports")][0] == "proved"
    # The user who shares the role's name has its own folder, and no findings.
    assert ("user", "data-reader", "ci-publish") not in got
    verdict, error = got[("user", "ci-bot", "ci-publish")]
    assert verdict == "error" and error.startswith("several findings files: ")
    md = (out / "summary.md").read_text()
    assert "- user `data-reader`: no findings" in md
    assert "`nobody.json`: no role or user is named nobody" in md


def test_a_findings_file_with_an_error_fails_its_principal_only(capsys, tmp_path):
    found = tmp_path / "findings"
    found.mkdir()
    for f in FINDINGS.iterdir():
        (found / f.name).write_bytes(f.read_bytes())
    (found / "ci-bot.txt").write_text("s3:PutBucketAcl\ns3:Put*\n")
    out = tmp_path / "out"
    code, _, _ = run(capsys, "batch", ACCOUNT, "--findings", found, "-o", out, "--catalog",
                     BLOG_CATALOG)
    assert code == 1
    by_policy = {r["policy"]: r for r in rows(out)}
    assert by_policy["ci-publish"]["verdict"] == "error"
    assert by_policy["ci-publish"]["error"].startswith(f"{found / 'ci-bot.txt'}:2:1: ")
    assert by_policy["read-reports"]["verdict"] == "proved"


@pytest.mark.parametrize("content, message", [
    ('{"RoleDetailList": [],}', "auth.json:1:22: trailing comma"),
    ('{"Version": "2012-10-17"}', "auth.json: not 'aws iam get-account-authorization-details' "
                                  "output"),
    ('{"RoleDetailList": {}}', "auth.json: RoleDetailList: expected a list"),
])
def test_an_unreadable_account_file_is_bad_input(capsys, tmp_path, content, message):
    path = tmp_path / "auth.json"
    path.write_text(content)
    code, out, err = run(capsys, "batch", path, "--findings", FINDINGS, "-o", tmp_path / "o",
                         "--catalog", BLOG_CATALOG)
    assert (code, out) == (2, "")
    assert err.startswith(str(tmp_path / message))
    assert not (tmp_path / "o").exists()


def test_nothing_to_refine_is_not_a_silent_pass(capsys, tmp_path):
    empty = tmp_path / "findings"
    empty.mkdir()
    code, _, err = run(capsys, "batch", ACCOUNT, "--findings", empty, "-o", tmp_path / "o",
                       "--catalog", BLOG_CATALOG)
    assert code == 2 and "nothing to refine" in err
    code, _, err = run(capsys, "batch", ACCOUNT, "--findings", tmp_path / "none", "-o",
                       tmp_path / "o", "--catalog", BLOG_CATALOG)
    assert code == 2 and "not a folder of findings files" in err
    code, _, err = run(capsys, "batch", ACCOUNT, "--findings", empty, "-o", tmp_path / "o",
                       "--jobs", "0")
    assert code == 2 and "must be at least 1" in err


def test_size_warnings_name_the_quota(capsys, tmp_path):
    out = tmp_path / "out"
    code, _, err = small(capsys, out, "--fraction-warning", "0.3")
    assert code == 0
    # ci-bot's refined inline policy grows (s3:Put* split around two unused actions) to over
    # 30% of a user's 2,048 inline characters.
    assert re.search(r"user ci-bot's inline policies together: [\d,]+ characters, \d+% of "
                     r"IAM's user inline policy limit of 2,048", err)
    assert "Notes" in (out / "summary.md").read_text()


# --- a generated account of dozens of roles from the managed-policy corpus ----------------------

def corpus_policies() -> list[Path]:
    return sorted(p for p in require(MANAGED).glob("*.json")
                  if p.name != "INDEX.json" and p.stat().st_size <= 6 * 1024)


def allowed_actions(policy, cat) -> set[str]:
    return {cat.canonical(a) for s in policy.statements if s.effect == "Allow"
            for p in s.patterns for a in cat.matching(p.text)}


def make_account(folder: Path, cat) -> dict:
    """An account file as `aws iam get-account-authorization-details` prints it, and findings."""
    rng = random.Random(20240603)
    usable = []
    for path in corpus_policies():
        text = path.read_text()
        if "NotAction" in text:
            continue
        policy = parse_policy(text.encode(), str(path))
        if 0 < len(allowed_actions(policy, cat)) <= 1500:
            usable.append((path.stem, text, policy))
    picks = rng.sample(usable, 60)
    roles, managed, findings_dir = [], {}, folder / "findings"
    findings_dir.mkdir()
    plan = {"roles": [], "named_files": [], "no_findings": None, "malformed": None}
    for i in range(34):
        name = f"svc-{picks[i][0].lower()[:40]}-{i:02d}"
        path_prefix = "/service-role/" if i % 5 == 0 else "/"
        arn = f"arn:aws:iam::{ACCOUNT_ID}:role{path_prefix}{name}"
        chosen = [picks[i]] + [picks[34 + (i + k) % 26] for k in range(rng.randint(0, 2))]
        inline, attached, actions = [], [], set()
        for k, (stem, text, policy) in enumerate(chosen):
            actions |= allowed_actions(policy, cat)
            if k == 0 and i % 3 != 2:  # a customer-managed copy of the AWS policy
                policy_arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{stem}"
                attached.append({"PolicyName": stem, "PolicyArn": policy_arn})
                managed[policy_arn] = (stem, json.loads(text))
            else:
                document = urllib.parse.quote(text, safe="*") if (i + k) % 2 \
                    else json.loads(text)
                inline.append({"PolicyName": f"{stem}-inline", "PolicyDocument": document})
        if i == 7:
            bad = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", ' \
                  '"Action": ["s3:GetObject", "s3:ListBucket",], "Resource": "*"}]}'
            inline.append({"PolicyName": "broken-inline",
                           "PolicyDocument": urllib.parse.quote(bad, safe="*")})
            plan["malformed"] = (name, "broken-inline")
            actions |= {"s3:GetObject", "s3:ListBucket"}
        if i == 11:
            attached.append({"PolicyName": "ReadOnlyAccess",
                             "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
        roles.append({"Path": path_prefix, "RoleName": name, "RoleId": f"AROA{i:017d}",
                      "Arn": arn, "CreateDate": "2024-02-01T10:00:00+00:00",
                      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                          "Action": "sts:AssumeRole"}]},
                      "InstanceProfileList": [], "RolePolicyList": inline,
                      "AttachedManagedPolicies": attached, "Tags": [], "RoleLastUsed": {}})
        customer = [a for a in attached if not a["PolicyArn"].startswith("arn:aws:iam::aws:")]
        plan["roles"].append((name, len(inline) + len(customer)))
        # A finding exists only when something is unused.
        unused = sorted(a for a in actions if rng.random() < 0.3) or [min(actions)]
        by_service: dict[str, list[str]] = {}
        for action in unused:
            service, action_name = action.split(":")
            by_service.setdefault(service, []).append(action_name)
        if i == 20:
            plan["no_findings"] = name
            continue
        if i % 8 == 3:
            (findings_dir / f"{name}.json").write_text(json.dumps(
                [{"serviceNamespace": s, "actions": a} for s, a in by_service.items()], indent=2))
            plan["named_files"].append(name)
            continue
        (findings_dir / f"finding-{i:04d}.json").write_text(json.dumps({
            "analyzedAt": "2024-06-03T17:21:40+00:00", "id": f"f-{i:04d}", "resource": arn,
            "resourceType": "AWS::IAM::Role", "resourceOwnerAccount": ACCOUNT_ID,
            "status": "ACTIVE", "findingType": "UnusedPermission",
            "findingDetails": [{"unusedPermissionDetails": {
                "serviceNamespace": s, "actions": [{"action": n} for n in a]}}
                for s, a in by_service.items()]}, indent=2))
    # Two roles share one customer-managed policy, as happens.
    roles[1]["AttachedManagedPolicies"].append(roles[0]["AttachedManagedPolicies"][0])
    plan["roles"][1] = (plan["roles"][1][0], plan["roles"][1][1] + 1)
    user_stem, user_text, user_policy = picks[59]
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/deploy-bot"
    user_unused = sorted(a for a in allowed_actions(user_policy, cat) if rng.random() < 0.3)
    (findings_dir / "deploy-bot.txt").write_text("".join(f"{a}\n" for a in user_unused))
    users = [{"Path": "/", "UserName": "deploy-bot", "UserId": "AIDA00000000000000001",
              "Arn": user_arn, "CreateDate": "2023-01-01T00:00:00+00:00",
              "UserPolicyList": [{"PolicyName": "deploy", "PolicyDocument": json.loads(
                  user_text)}], "GroupList": [],
              "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn":
                                           "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
              "Tags": []}]
    policies = [{"PolicyName": stem, "PolicyId": f"ANPA{n:017d}", "Arn": arn, "Path": "/",
                 "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": True,
                 "PolicyVersionList": [{"Document": doc, "VersionId": "v1",
                                        "IsDefaultVersion": True,
                                        "CreateDate": "2024-02-01T10:00:00+00:00"}]}
                for n, (arn, (stem, doc)) in enumerate(sorted(managed.items()))]
    auth = {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles,
            "Policies": policies}
    (folder / "auth.json").write_text(json.dumps(auth, indent=2))
    return plan


def test_generated_account_of_dozens_of_roles(capsys, tmp_path):
    cat = catalog_mod.load(None)
    plan = make_account(tmp_path, cat)
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "batch", tmp_path / "auth.json", "--findings",
                            tmp_path / "findings", "-o", out)
    assert code == 1, err  # the malformed inline policy
    table = rows(out)
    # ReadOnlyAccess (attached twice) is in no Policies entry: a no-document row each.
    expected = sum(n for name, n in plan["roles"] if name != plan["no_findings"]) + 1 + 2
    assert len(table) == expected and len(table_rows(out)) == expected
    absent = [r for r in table if r["verdict"] == "no-document"]
    assert [(r["policy"], r["policy_kind"]) for r in absent] == \
        [("ReadOnlyAccess", "aws-managed")] * 2
    assert all("is attached but not in Policies" in r["error"] for r in absent)
    table = [r for r in table if r not in absent]
    assert len({r["principal"] for r in table}) == 34  # 33 roles with findings and the user
    assert all(list(r) == list(batch_summary.COLUMNS) for r in table)
    broken = [r for r in table if r["policy"] == "broken-inline"]
    assert len(broken) == 1 and broken[0]["verdict"] == "error"
    assert re.fullmatch(re.escape(str(out / plan["malformed"][0] / "broken-inline.original.json"))
                        + r":1:\d+: trailing comma", broken[0]["error"])
    others = [r for r in table if r is not broken[0]]
    assert all(r["verdict"] in ("proved", "detach") for r in others), \
        [(r["principal"], r["policy"], r["error"]) for r in others if r["error"]]
    assert sum(int(r["catalog_actions_removed"]) for r in others) > 500
    assert all(int(r["size_after"]) > 0 and int(r["size_before"]) > 0 for r in others)
    assert {r["policy_kind"] for r in table} == {"inline", "managed"}
    assert any(r["principal"] in plan["named_files"] for r in others)
    md = (out / "summary.md").read_text()
    assert f"- role `{plan['no_findings']}`: no findings" in md
    assert plan["no_findings"] not in {r["principal"] for r in table}
    assert "- 2 AWS managed policies not refined: the authorization details hold no " \
           "document for them (verdict no-document)" in md
    assert "is attached to 2 principals" in md
    assert stdout.startswith(f"batch: {expected} policies: ")
    proved = sorted(out.glob("*/*.cert.json"))
    assert len(proved) == len(others)
    for cert in random.Random(5).sample(proved, 5):
        code, text, _ = run(capsys, "check", cert)
        assert code == 0 and "valid" in text, text
