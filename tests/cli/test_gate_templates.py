"""The gate over a CloudFormation template refined in place: green as certified, and after an
edit elsewhere in the template; red at the edited statement when a certified policy gains an
action, and red when a certified policy is renamed or removed."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import FIXTURES, run
from verify_refine.cli import main

IAC = FIXTURES / "iac"


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """A folder with app.yaml refined in place and a certificate per policy."""
    folder = tmp_path_factory.mktemp("certified")
    for name in ("app.yaml", "app-role-finding.json"):
        shutil.copy(IAC / name, folder / name)
    assert main(["refine", str(folder / "app.yaml"), "--unused",
                 str(folder / "app-role-finding.json"), "--in-place", "--certificate",
                 str(folder / "certs")]) == 0
    return folder


@pytest.fixture
def work(certified, tmp_path):
    folder = tmp_path / "repo"
    shutil.copytree(certified, folder)
    return folder


def gate(capsys, folder):
    return run(capsys, "gate", folder, "--root", folder, "--jobs", "1")


def test_green_as_certified_and_after_an_edit_elsewhere(work, capsys):
    code, out, err = gate(capsys, work)
    assert code == 0, out + err
    assert "2 certificates checked, 2 valid" in out
    text = (work / "app.yaml").read_text()
    (work / "app.yaml").write_text(text.replace("  Queue:\n", "  # a queue\n  Queue:\n")
                                   .replace("Type: AWS::SQS::Queue", "Type: AWS::SQS::Queue\n"
                                            "    Properties: {DelaySeconds: 5}"))
    code, out, err = gate(capsys, work)
    assert code == 0, out + err


def test_red_at_the_statement_that_gained_an_action(work, capsys):
    text = (work / "app.yaml").read_text()
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "- s3:GetObject")
    lines.insert(at + 1, " " * 18 + "- s3:PutObject\n")
    (work / "app.yaml").write_text("".join(lines))
    code, out, err = gate(capsys, work)
    assert code == 1
    failure = next(line for line in out.splitlines() if "VR-stale" in line)
    where, message = failure.split(": error: ", 1)
    assert where.endswith(f"app.yaml:{at + 1}:19")  # the action list of the edited statement
    assert message.startswith("VR-stale: the refined file is not the one certified")
    assert "app.AppRole.Policies.0.cert.json" in failure
    assert "1 valid, 1 failed" in out


@pytest.mark.parametrize("edit", [
    lambda text: text.replace("\n  AppRole:\n", "\n  AppRoleRenamed:\n"),
    lambda text: text.replace("Policies:\n        - PolicyName: storage",
                              "Policies:\n        - PolicyName: storage\n          X: 1")
    .replace("        - PolicyName: logs", "      Unused:\n        - PolicyName: logs"),
])
def test_red_when_a_certified_policy_is_renamed_or_removed(work, capsys, edit):
    (work / "app.yaml").write_text(edit((work / "app.yaml").read_text()))
    code, out, err = gate(capsys, work)
    assert code == 1, out + err
    assert "VR-input" in out and "no policy `AppRole.Policies[1]`" in out


def test_changed_a_staged_template_checks_the_certificates_that_record_it(work, capsys):
    """What the pre-commit hook runs: `gate --changed` handed the staged template."""
    text = (work / "app.yaml").read_text()
    (work / "app.yaml").write_text(text.replace("Action: logs:*", "Action: 'logs:*'"))
    code, out, err = run(capsys, "gate", "--changed", "--root", work, "--jobs", "1",
                         work, work / "app.yaml")
    assert code == 0, out + err
    assert "2 certificates checked, 2 valid" in out  # the quoting changed, not the policy
    (work / "app.yaml").write_text(text.replace("Action: logs:*", "Action: 'logs:Delete*'"))
    code, out, err = run(capsys, "gate", "--changed", "--root", work, "--jobs", "1",
                         work, work / "app.yaml")
    assert code == 1 and "VR-stale" in out and "app.AppRole.Policies.1.cert.json" in out


def test_recertify_refuses_a_template_certificate_and_writes_nothing(work, capsys):
    before = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
    code, out, err = run(capsys, "recertify", work / "certs")
    assert code == 2 and "a policy in a template: recertify does not rewrite templates" in err
    assert {p: p.read_bytes() for p in work.rglob("*") if p.is_file()} == before
