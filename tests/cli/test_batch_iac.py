"""`batch TEMPLATE|TF_FOLDER --findings DIR -o OUTDIR [--in-place]` through the real CLI: every
policy of the principals with findings refined, proved and certified, one row each in the
summaries; a policy held by several principals refined by what all of them left unused (checked
over generated templates); each source file written only when all its policies proved; findings
about principals the source does not declare listed, not an error."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, run, script
from verify_refine.iac import cloudformation

pytest.importorskip("tree_sitter_hcl")
pytest.importorskip("ruamel.yaml")

IAC = FIXTURES / "iac"
ACTIONS = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage", "sqs:DeleteQueue",
           "dynamodb:GetItem", "dynamodb:Scan"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalog") / "catalog.json"
    done = script("catalog", "export", "--services", "s3,sqs,dynamodb,logs,kms")
    assert done.returncode == 0, done.stderr
    path.write_text(done.stdout)
    return path


def finding(kind: str, name: str, unused: list[str]) -> dict:
    """A get-finding-v2 output about KIND/NAME naming UNUSED (actions, or `svc:*`)."""
    details = []
    for pattern in unused:
        service, action = pattern.split(":")
        details.append({"unusedPermissionDetails": {"serviceNamespace": service} | (
            {} if action == "*" else {"actions": [{"action": action}]})})
    return {"id": f"f-{name}", "resource": f"arn:aws:iam::123456789012:{kind}/team/{name}",
            "resourceType": "AWS::IAM::Role" if kind == "role" else "AWS::IAM::User",
            "resourceOwnerAccount": "123456789012", "status": "ACTIVE",
            "findingType": "UnusedPermission", "findingDetails": details}


def row_list(outdir) -> list[dict]:
    with open(outdir / "summary.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def rows(outdir) -> dict[str, dict]:
    return {row["address"]: row for row in row_list(outdir)}


def test_a_template_in_place_with_a_certificate_per_policy_that_checks(tmp_path, capsys):
    shutil.copy(IAC / "app.yaml", tmp_path / "app.yaml")
    (tmp_path / "findings").mkdir()
    shutil.copy(IAC / "app-role-finding.json", tmp_path / "findings" / "app.json")
    (tmp_path / "findings" / "other.json").write_text(json.dumps(
        finding("role", "not-here", ["s3:GetObject"])))
    code, out, err = run(capsys, "batch", tmp_path / "app.yaml", "--findings",
                         tmp_path / "findings", "-o", tmp_path / "out", "--in-place")
    assert code == 0, err
    assert "batch: 2 policies: 2 proved" in out
    table = rows(tmp_path / "out")
    assert set(table) == {"AppRole.Policies[0]", "AppRole.Policies[1]"}
    assert all(r["written"] == "in place" and r["holders"] == "AppRole" for r in table.values())
    assert int(table["AppRole.Policies[0]"]["entries_after"]) < \
        int(table["AppRole.Policies[0]"]["entries_before"])
    text = (tmp_path / "app.yaml").read_text()
    assert "s3:PutObject" not in text and "# reads and writes of the app's bucket" in text
    md = (tmp_path / "out" / "summary.md").read_text()
    assert "`other.json`: findings about the role `not-here`" in md
    for row in table.values():
        code, _, err = run(capsys, "check", tmp_path / "out" / row["certificate"])
        assert code == 0, err
    code, out, err = run(capsys, "gate", tmp_path, "--root", tmp_path, "--jobs", "1")
    assert code == 0, out + err


def test_a_terraform_folder_copied_with_its_other_files_and_the_source_untouched(
        tmp_path, capsys):
    shutil.copytree(IAC / "terraform" / "document", tmp_path / "tf")
    before = {p.name: p.read_text() for p in (tmp_path / "tf").iterdir()}
    (tmp_path / "findings").mkdir()
    (tmp_path / "findings" / "app.json").write_text(json.dumps(
        finding("role", "app", ["s3:PutObject", "kms:Encrypt"])))
    code, out, err = run(capsys, "batch", tmp_path / "tf", "--findings", tmp_path / "findings",
                         "-o", tmp_path / "out")
    assert code == 0, err
    assert {p.name: p.read_text() for p in (tmp_path / "tf").iterdir()} == before
    copies = tmp_path / "out" / "source"
    assert sorted(p.name for p in copies.iterdir()) == ["main.tf", "policies.tf"]
    assert "s3:PutObject" not in (copies / "policies.tf").read_text()
    [row] = rows(tmp_path / "out").values()
    assert row["address"] == "data.aws_iam_policy_document.app" and row["verdict"] == "proved"
    assert row["written"] == "source/policies.tf"
    code, _, err = run(capsys, "check", tmp_path / "out" / row["certificate"])
    assert code == 0, err


def shared_template(holders: list[list[int]], roles: int, actions: list[list[str]]) -> dict:
    """ROLES roles; managed policy i allows ACTIONS[i] and is attached to the roles HOLDERS[i]."""
    resources = {f"Role{r}": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": f"role{r}", "AssumeRolePolicyDocument": {}, "ManagedPolicyArns": [
            {"Ref": f"Policy{i}"} for i, who in enumerate(holders) if r in who]}}
        for r in range(roles)}
    for i, granted in enumerate(actions):
        resources[f"Policy{i}"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": granted, "Resource": "*"}]}}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


@st.composite
def shared_cases(draw):
    roles = draw(st.integers(2, 3))
    count = draw(st.integers(1, 3))
    holders = [draw(st.lists(st.integers(0, roles - 1), min_size=1, max_size=roles,
                             unique=True)) for _ in range(count)]
    actions = [draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4, unique=True))
               for _ in range(count)]
    unused = [draw(st.lists(st.sampled_from(ACTIONS + ["dynamodb:*"]), min_size=1,
                            max_size=5, unique=True)) for _ in range(roles)]
    return roles, holders, actions, unused


def is_unused(action: str, names: list[str]) -> bool:
    return action in names or f"{action.split(':')[0]}:*" in names


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=shared_cases())
def test_a_shared_policy_loses_only_what_every_holder_left_unused(tmp_path_factory, capsys,
                                                                 catalog, case):
    roles, holders, actions, unused = case
    folder = tmp_path_factory.mktemp("shared")
    (folder / "t.json").write_text(json.dumps(shared_template(holders, roles, actions),
                                              indent=1))
    (folder / "findings").mkdir()
    for r, names in enumerate(unused):
        (folder / "findings" / f"r{r}.json").write_text(json.dumps(finding(
            "role", f"role{r}", names)))
    code, out, err = run(capsys, "batch", folder / "t.json", "--findings", folder / "findings",
                         "-o", folder / "out", "--catalog", catalog)
    assert code == 0, err
    table = rows(folder / "out")
    refined = cloudformation.read(str(folder / "out" / "source" / "t.json"),
                                  (folder / "out" / "source" / "t.json").read_text())
    for i, granted in enumerate(actions):
        expected = [a for a in granted
                    if not all(is_unused(a, unused[r]) for r in holders[i])]
        row = table[f"Policy{i}"]
        assert sorted(row["holders"].split()) == sorted(f"Role{r}" for r in holders[i])
        if not expected:
            assert row["verdict"] == "detach"
            continue
        assert row["verdict"] == "proved"
        [statement] = refined.policy(f"Policy{i}").document["Statement"]
        kept = statement["Action"]
        assert sorted([kept] if isinstance(kept, str) else kept) == sorted(expected)
        code, _, err = run(capsys, "check", folder / "out" / row["certificate"])
        assert code == 0, err


def test_a_file_with_a_policy_not_proved_is_not_rewritten_and_the_others_are(tmp_path, capsys,
                                                                            catalog):
    """b.json's managed policy is also held by a role without findings (what it uses is not
    known: an error row): b.json stays as it was, a.json is rewritten."""
    source = tmp_path / "infra"
    source.mkdir()
    (source / "a.json").write_text(json.dumps(shared_template([[0]], 1, [ACTIONS[:2]])))
    b = shared_template([[0, 1]], 2, [ACTIONS[2:4]])
    b["Resources"] = {k.replace("Role", "Other"): v for k, v in b["Resources"].items()}
    for r in range(2):
        b["Resources"][f"Other{r}"]["Properties"]["RoleName"] = f"other{r}"
    (source / "b.json").write_text(json.dumps(b))
    before = (source / "b.json").read_text()
    (tmp_path / "findings").mkdir()
    for name in ("role0", "other0"):
        (tmp_path / "findings" / f"{name}.json").write_text(json.dumps(finding(
            "role", name, ["s3:PutObject", "sqs:DeleteQueue"])))
    code, out, err = run(capsys, "batch", source, "--findings", tmp_path / "findings",
                         "-o", tmp_path / "out", "--in-place", "--catalog", catalog)
    assert code == 1, err
    table = {(r["file"].rsplit("/", 1)[-1], r["address"]): r for r in row_list(tmp_path / "out")}
    assert (source / "b.json").read_text() == before
    assert "s3:PutObject" not in (source / "a.json").read_text()
    error = table[("b.json", "Policy0")]
    assert error["verdict"] == "error" and "Other1, which has no findings" in error["error"]
    assert table[("a.json", "Policy0")]["written"] == "in place"


@pytest.mark.parametrize("flag", ["--plan", "--aws-managed"])
def test_account_only_options_are_refused_for_a_template(tmp_path, capsys, flag):
    shutil.copy(IAC / "app.yaml", tmp_path / "app.yaml")
    (tmp_path / "findings").mkdir()
    code, _, err = run(capsys, "batch", tmp_path / "app.yaml", "--findings",
                       tmp_path / "findings", "-o", tmp_path / "out", flag)
    assert code == 2 and f"batch: {flag} is for an account's authorization details" in err
    assert not (tmp_path / "out").exists()


def test_findings_in_one_array_for_a_role_and_a_user_and_two_templates_of_one_stem(
        tmp_path, capsys, catalog):
    """One findings file about a role and a user (each takes its own part); two templates
    named a.json and a.yaml declaring the same addresses get a certificate each."""
    source = tmp_path / "infra"
    source.mkdir()
    template = shared_template([[0]], 1, [ACTIONS[:2]])
    template["Resources"]["Ops"] = {"Type": "AWS::IAM::User", "Properties": {
        "UserName": "ops", "Policies": [{"PolicyName": "p", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ACTIONS[2:4], "Resource": "*"}]}}]}}
    (source / "a.json").write_text(json.dumps(template, indent=1))
    (source / "a.yaml").write_text(json.dumps(template, indent=1))  # JSON is YAML
    (tmp_path / "findings").mkdir()
    (tmp_path / "findings" / "all.json").write_text(json.dumps([
        finding("role", "role0", ["s3:PutObject"]), finding("user", "ops", ["sqs:*"])]))
    code, out, err = run(capsys, "batch", source, "--findings", tmp_path / "findings",
                         "-o", tmp_path / "out", "--catalog", catalog)
    assert code == 0, err
    table = row_list(tmp_path / "out")
    assert len(table) == 4 and all(r["verdict"] == "proved" for r in table
                                   if r["address"] == "Policy0")
    assert {r["verdict"] for r in table if r["address"] == "Ops.Policies[0]"} == {"detach"}
    certs = {r["certificate"] for r in table if r["certificate"]}
    assert len(certs) == 2 and all((tmp_path / "out" / c).is_file() for c in certs)
    for cert in certs:
        code, _, err = run(capsys, "check", tmp_path / "out" / cert)
        assert code == 0, err


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    shutil.copy(IAC / "app.yaml", tmp_path / "app.yaml")
    (tmp_path / "findings").mkdir()
    for argv, message in (
            (["--findings", tmp_path / "nope"], "nope: not a folder of findings files"),
            (["--findings", tmp_path / "findings"], "batch: nothing to refine"),
            (["--findings", tmp_path / "findings", "--in-place"], "batch: nothing to refine")):
        code, out, err = run(capsys, "batch", tmp_path / "app.yaml", *argv, "-o",
                             tmp_path / "out")
        assert code == 2 and message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()


def test_security_hub_findings_matched_to_the_templates_role_by_name(tmp_path, capsys):
    """The Security Hub fixture is about role/app-deployer with lambda wholly unused."""
    template = shared_template([[0]], 1, [["lambda:InvokeFunction", "s3:GetObject"]])
    template["Resources"]["Role0"]["Properties"]["RoleName"] = "app-deployer"
    (tmp_path / "t.json").write_text(json.dumps(template, indent=1))
    (tmp_path / "findings").mkdir()
    shutil.copy(FIXTURES / "findings" / "securityhub-get-findings-v2.json",
                tmp_path / "findings" / "hub.json")
    code, out, err = run(capsys, "batch", tmp_path / "t.json", "--findings",
                         tmp_path / "findings", "-o", tmp_path / "out", "--in-place")
    assert code == 0, err
    [row] = row_list(tmp_path / "out")
    assert row["verdict"] == "proved" and row["holders"] == "Role0"
    assert json.loads((tmp_path / "t.json").read_text())["Resources"]["Policy0"][
        "Properties"]["PolicyDocument"]["Statement"][0]["Action"] in ("s3:GetObject",
                                                                      ["s3:GetObject"])
    code, _, err = run(capsys, "check", tmp_path / "out" / row["certificate"])
    assert code == 0, err
