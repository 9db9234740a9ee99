"""`batch` refines the AWS managed policies a role or user has by default, reported as a customer
managed policy to create and attach in place of AWS's, which is detached; one whose document the
authorization details lack gets a row saying so (verdict no-document), never proved."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, one_line_error, policy_doc, run
from verify_refine.batch.plan import copy_name
from verify_refine.inputs.account import read_account

ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"
AWS_ARN = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"


def batch(capsys, auth: Path, findings: Path, out: Path, *more):
    return run(capsys, "batch", auth, "--findings", findings, "-o", out, "--catalog",
               BLOG_CATALOG, "--jobs", "2", *more)


def rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))


def test_an_aws_managed_policy_is_refined_as_a_copy_to_create_and_attach(capsys, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = batch(capsys, ACCOUNT, FINDINGS, out, "--plan")
    assert code == 0, err
    row = next(r for r in rows(out) if r["policy_kind"] == "aws-managed")
    assert (row["principal"], row["policy"], row["verdict"]) == \
        ("app-deployer", "AWSLambda_ReadOnlyAccess", "proved")
    assert row["apply"] == ("create the customer managed policy /verify-refine/"
                            "AWSLambda_ReadOnlyAccess-app-deployer from the refined document, "
                            f"attach it, detach the AWS managed policy {AWS_ARN}")
    assert all(r["apply"] == "" for r in rows(out) if r["policy_kind"] != "aws-managed")
    code, text, _ = run(capsys, "check", out / f"{row['files']}.cert.json")
    assert code == 0 and "valid" in text
    plan = (out / "plan.sh").read_text().split("# role app-deployer: AWSLambda_ReadOnlyAccess")[1]
    assert "aws iam create-policy --policy-name AWSLambda_ReadOnlyAccess-app-deployer" in plan
    assert f"aws iam detach-role-policy --role-name app-deployer --policy-arn {AWS_ARN}" in plan
    md = (out / "summary.md").read_text()
    assert "- 1 AWS managed policy refined: AWS owns them, so each result is a customer " \
           "managed policy to create" in md


def test_the_old_opt_in_is_a_no_op_and_cannot_be_mixed_with_the_opt_out(capsys, tmp_path):
    code, _, err = batch(capsys, ACCOUNT, FINDINGS, tmp_path / "a", "--aws-managed")
    assert code == 0, err
    assert batch(capsys, ACCOUNT, FINDINGS, tmp_path / "b")[0] == 0
    assert rows(tmp_path / "a") == rows(tmp_path / "b")
    assert any(r["policy_kind"] == "aws-managed" for r in rows(tmp_path / "a"))
    code, _, err = batch(capsys, ACCOUNT, FINDINGS, tmp_path / "c", "--aws-managed",
                         "--skip-aws-managed")
    assert code == 2 and "not allowed with argument" in one_line_error(err)
    assert not (tmp_path / "c").exists()


def test_the_issue_example_a_filtered_dump_gives_a_no_document_row(capsys, tmp_path):
    """`--filter LocalManagedPolicy Role User`: AWS's documents are not in the file."""
    auth = json.loads(ACCOUNT.read_text())
    auth["Policies"] = [p for p in auth["Policies"] if p["Arn"] != AWS_ARN]
    (tmp_path / "auth.json").write_text(json.dumps(auth))
    out = tmp_path / "out"
    code, stdout, err = batch(capsys, tmp_path / "auth.json", FINDINGS, out)
    assert code == 0, err  # the others are proved; nothing is reported proved that is not
    row = next(r for r in rows(out) if r["policy_kind"] == "aws-managed")
    assert row["verdict"] == "no-document" and row["apply"] == ""
    assert f"{AWS_ARN} is attached but not in Policies" in row["error"]
    assert "not refined (a dump without --filter holds" in row["error"]
    assert not list(out.glob("*/AWSLambda_ReadOnlyAccess.*"))
    assert "4 proved, 1 detach, 0 refuted, 0 unknown, 0 error, 1 no-document" in stdout


ATTACHED = st.lists(st.tuples(st.sampled_from(["s3:Get*", "s3:List*", "lambda:Get*",
                                               "lambda:List*", "s3:PutObject"]),
                              st.booleans()),
                    min_size=1, max_size=4)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(attached=ATTACHED, user=st.booleans())
def test_every_aws_managed_attachment_is_one_row_proved_only_with_its_document(
        capsys, tmp_path_factory, attached, user):
    """Any mix of AWS managed policies with and without their document, on a role or a user:
    one row each; the row is no-document exactly when the document is absent, and a proved
    row has a certificate that checks and names the copy to create."""
    folder = tmp_path_factory.mktemp("acct")
    kind, name = ("user", "bot") if user else ("role", "app")
    arn = f"arn:aws:iam::123456789012:{kind}/{name}"
    policies, attachments = [], []
    for i, (action, present) in enumerate(attached):
        policy_arn = f"arn:aws:iam::aws:policy/Synthetic{i}"
        attachments.append({"PolicyName": f"Synthetic{i}", "PolicyArn": policy_arn})
        if present:
            policies.append({"PolicyName": f"Synthetic{i}", "Arn": policy_arn,
                             "DefaultVersionId": "v1", "PolicyVersionList": [
                                 {"Document": policy_doc(action), "VersionId": "v1",
                                  "IsDefaultVersion": True}]})
    item = {f"{kind.title()}Name": name, "Arn": arn, "AttachedManagedPolicies": attachments}
    auth = {"RoleDetailList": [] if user else [item], "UserDetailList": [item] if user else [],
            "Policies": policies}
    (folder / "auth.json").write_text(json.dumps(auth))
    (folder / "findings").mkdir()
    (folder / "findings" / f"{name}.txt").write_text("s3:GetObject\nlambda:GetFunction\n")
    out = folder / "out"
    code, _, err = batch(capsys, folder / "auth.json", folder / "findings", out)
    assert code == 0, err
    table = rows(out)
    assert [r["policy"] for r in table] == [a["PolicyName"] for a in attachments]
    tasks = read_account((folder / "auth.json").read_bytes(), "auth.json").tasks
    for (action, present), row, task in zip(attached, table, tasks):
        assert row["policy_kind"] == "aws-managed"
        cert = out / f"{row['files']}.cert.json"
        if not present:
            assert row["verdict"] == "no-document" and not cert.exists()
            continue
        assert row["verdict"] in ("proved", "detach"), row
        assert run(capsys, "check", cert)[0] == 0
        if row["verdict"] == "proved":
            assert f"/verify-refine/{copy_name(task)}" in row["apply"]
        assert row["apply"].endswith(task.arn) or f"{task.arn} (nothing" in row["apply"]
