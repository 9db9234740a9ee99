"""refine on a CloudFormation template as a new user runs it: the finding's role is found by its
RoleName, every policy it holds is refined, proved and written back in place (only action lines
change), and each certificate checks; and what goes wrong is said in one line, nothing written."""

from __future__ import annotations

import difflib
import json
import shutil

import pytest

from tests.helpers import FIXTURES, run

IAC = FIXTURES / "iac"


@pytest.fixture
def work(tmp_path):
    for path in IAC.iterdir():
        if path.is_file():  # the Terraform fixtures are a folder of their own
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def changed_lines(before: str, after: str) -> list[str]:
    """The lines a unified diff removes or adds."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_one_command_refines_both_inline_policies_of_the_findings_role(work, capsys):
    before = (work / "app.yaml").read_text()
    code, out, err = run(capsys, "refine", work / "app.yaml", "--unused",
                         work / "app-role-finding.json", "--in-place", "--certificate",
                         work / "certs")
    assert code == 0, err
    after = (work / "app.yaml").read_text()
    assert changed_lines(before, after) == [
        "-                  - s3:PutObject",
        '-                Action: [sqs:SendMessage, "sqs:DeleteQueue"]',
        "+                Action: [sqs:SendMessage]",
        "-              - Effect: Allow",
        "-                Action: dynamodb:DeleteTable",
        '-                Resource: !Sub "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}'
        ':table/t-${Stage}"']
    assert "AppRole.Policies[0]" in err and "AppRole.Policies[1]" in err
    certs = sorted((work / "certs").glob("*.cert.json"))
    assert [c.name for c in certs] == ["app.AppRole.Policies.0.cert.json",
                                       "app.AppRole.Policies.1.cert.json"]
    for cert in certs:
        assert json.loads(cert.read_text())["addresses"] == {
            "refined": cert.name.removeprefix("app.").removesuffix(".cert.json")
            .replace(".Policies.", ".Policies[") + "]"}
        code, out, err = run(capsys, "check", cert)
        assert code == 0, err


def test_refining_again_into_the_same_certificate_folder(work, capsys):
    (work / "certs").mkdir()
    (work / "certs" / "other.cert.json").write_text("{}")
    code, _, err = run(capsys, "refine", work / "app.yaml", "--unused",
                       work / "app-role-finding.json", "--in-place", "--certificate",
                       work / "certs")
    assert code == 0, err
    code, _, err = run(capsys, "check", work / "certs" / "app.AppRole.Policies.0.cert.json")
    assert code == 0, err


def test_a_hand_edit_of_the_certified_policy_makes_its_certificate_invalid(work, capsys):
    run(capsys, "refine", work / "app.yaml", "--unused", work / "app-role-finding.json",
        "--in-place", "--certificate", work / "certs")
    text = (work / "app.yaml").read_text()
    added = "- s3:GetObject\n" + " " * 18 + "- s3:PutObject\n"
    (work / "app.yaml").write_text(text.replace("- s3:GetObject\n", added))
    code, _, err = run(capsys, "check", work / "certs" / "app.AppRole.Policies.0.cert.json")
    assert code == 1 and "sha256 differs" in err
    code, _, err = run(capsys, "check", work / "certs" / "app.AppRole.Policies.1.cert.json")
    assert code == 0, err  # the other policy was not touched


def test_json_template_attached_policies_and_a_copy(work, capsys):
    before = (work / "attached.json").read_text()
    code, _, err = run(capsys, "refine", work / "attached.json", "--unused",
                       work / "worker-finding.json", "-o", work / "copy.json",
                       "--certificate", work / "certs")
    assert code == 0, err
    assert (work / "attached.json").read_text() == before  # -o leaves the template alone
    after = (work / "copy.json").read_text()
    changed = changed_lines(before, after)
    assert '-                                "sqs:PurgeQueue"' in changed
    assert all("s3:" not in line for line in changed)  # SharedManaged is also held by Ops
    assert "also held by Ops" in err
    cert = work / "certs" / "attached.WorkerPolicy.cert.json"
    recorded = json.loads(cert.read_text())
    assert recorded["files"]["original"] == "../attached.json"
    assert recorded["addresses"] == {"original": "WorkerPolicy", "refined": "WorkerPolicy"}
    code, _, err = run(capsys, "check", cert)
    assert code == 0, err


def test_a_policy_left_with_nothing_to_allow_is_reported_and_kept(work, capsys):
    findings = work / "all-s3.json"
    findings.write_text(json.dumps(["s3:*"]))
    before = (work / "attached.json").read_text()
    code, _, err = run(capsys, "refine", work / "attached.json", "--unused", findings,
                       "--policy", "Admins.Policies[0]", "--in-place")
    assert code == 0, err
    assert "nothing left to allow: detach it from Admins" in err
    assert (work / "attached.json").read_text() == before


def test_the_policy_name_is_an_address_too(work, capsys):
    code, out, err = run(capsys, "refine", work / "app.yaml", "--unused",
                         work / "app-role-finding.json", "--policy", "AppRole.Policies.logs",
                         "--diff")
    assert code == 0, err
    assert "-                Action: dynamodb:DeleteTable" in out
    assert "s3:PutObject" not in out


@pytest.mark.parametrize("argv, message", [
    (["--policy", "Nope"], "app.yaml: no policy `Nope`; there are: AppRole.Policies[0], "
                           "AppRole.Policies[1]"),
    (["--role", "Nobody"], "--role `Nobody`: no such principal"),
    (["--policy", "AppRole.Policies[0]", "--in-place", "-o", "x.yaml"], "give one"),
    (["--certificate", "certs"], "--certificate needs --in-place or -o FILE"),
])
def test_misuse_is_one_line_exit_2_and_nothing_written(work, capsys, argv, message):
    before = (work / "app.yaml").read_text()
    code, out, err = run(capsys, "refine", work / "app.yaml", "--unused",
                         work / "app-role-finding.json", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert (work / "app.yaml").read_text() == before and not (work / "certs").exists()


def test_a_missing_address_lists_the_ones_there_are(work, capsys):
    code, _, err = run(capsys, "refine", work / "attached.json", "--unused",
                       work / "worker-finding.json", "--policy", "Nope")
    assert code == 2
    assert err.strip().endswith("there are: Admins.Policies[0], WorkerPolicy, SharedManaged, "
                                "PermSet.InlinePolicy")


def test_a_refused_policy_says_where_and_why(work, capsys):
    code, _, err = run(capsys, "refine", work / "refused.yaml", "--unused",
                       work / "worker-finding.json", "--policy", "Computed")
    assert code == 2
    assert err.strip() == (f"{work / 'refused.yaml'}:11:21: `Computed` is refused: intrinsic "
                           'function "!Split" in Action: an action list computed at deploy '
                           "time cannot be refined")


def test_findings_about_a_role_the_template_does_not_name(work, capsys):
    code, _, err = run(capsys, "refine", work / "refused.yaml", "--unused",
                       work / "worker-finding.json", "--in-place")
    assert code == 2 and "the findings are about the role `worker`" in err
    code, _, err = run(capsys, "refine", work / "attached.json", "--unused",
                       work / "worker-finding.json", "--role", "worker", "--diff")
    assert code == 0, err


def test_a_policy_held_as_a_json_string_is_read_but_not_written_back(work, capsys):
    code, out, _ = run(capsys, "list-policies", work / "permission-set.yaml")
    assert code == 0 and "Readers.InlinePolicy  permission-set-inline  1 statement" in out
    before = (work / "permission-set.yaml").read_text()
    code, _, err = run(capsys, "refine", work / "permission-set.yaml", "--unused",
                       work / "worker-finding.json", "--policy", "Readers.InlinePolicy",
                       "--in-place")
    assert code == 2
    assert err.strip() == (f"{work / 'permission-set.yaml'}:7:7: refine: "
                           "`Readers.InlinePolicy` cannot be written back: the policy is a "
                           "JSON string in the template")
    assert (work / "permission-set.yaml").read_text() == before


def test_json_result_names_each_policy_and_its_edit(work, capsys):
    before = (work / "app.yaml").read_text()
    code, out, err = run(capsys, "refine", work / "app.yaml", "--unused",
                         work / "app-role-finding.json", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [(p["address"], p["detach"], p["edit"]) for p in data["policies"]] == [
        ("AppRole.Policies[0]", False, {"0": ["s3:GetObject", "s3:DeleteObject"],
                                        "1": ["sqs:SendMessage"]}),
        ("AppRole.Policies[1]", False, {"1": None})]
    assert (work / "app.yaml").read_text() == before  # neither --in-place nor -o
