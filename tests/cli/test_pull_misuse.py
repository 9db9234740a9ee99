"""`verify-refine pull` misused or facing an account it cannot work with: one line, exit 2,
nothing written; boto3 missing is said before any work; every page of the account's policies is
kept."""

from __future__ import annotations

import copy
import json
import os
import urllib.parse

import pytest

from tests.aws_account import ACCOUNT_ID, ANALYZER, REGION, aws, create_account  # noqa: F401
from tests.helpers import AWS_FIXTURES, files_under, one_line_error, script

ACCOUNT = AWS_FIXTURES / "account-small.json"
DEPLOYER = f"arn:aws:iam::{ACCOUNT_ID}:role/app-deployer"


def analyzers(fake, *summaries: dict) -> None:
    fake.answer("accessanalyzer", "list_analyzers", {"analyzers": list(summaries)},
                {"type": "ACCOUNT_UNUSED_ACCESS"})
    fake.answer("accessanalyzer", "list_analyzers", {"analyzers": []},
                {"type": "ORGANIZATION_UNUSED_ACCESS"})


def summary(name: str, status: str = "ACTIVE") -> dict:
    return {"arn": f"arn:aws:access-analyzer:{REGION}:{ACCOUNT_ID}:analyzer/{name}",
            "name": name, "type": "ACCOUNT_UNUSED_ACCESS",
            "createdAt": "2024-05-01T00:00:00+00:00", "status": status}


def test_missing_boto3_is_one_line_with_a_pip_hint_before_any_work(tmp_path):
    hook = tmp_path / "hide"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('boto3', 'botocore'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Hide())\n")
    out = tmp_path / "out"
    done = script("pull", "--all", "-o", out, module=True,
                  env=dict(os.environ, PYTHONPATH=str(hook)))
    assert (done.returncode, done.stdout) == (2, "")
    assert one_line_error(done.stderr) == (
        "pull needs boto3, which is not installed: pip install 'boto3>=1.34' (or, in a clone "
        "of verify-refine, pip install -e '.[aws]')")
    assert not out.exists()


@pytest.mark.parametrize("argv, message", [
    ([], "pull: give either a role or user ARN or --all (exactly one; see --help)"),
    ([DEPLOYER, "--all"], "pull: give either a role or user ARN or --all"),
    (["arn:aws:iam::1234:role/x"], "pull: `arn:aws:iam::1234:role/x` is not the ARN of an IAM "
                                   "role or user"),
    ([f"arn:aws:iam::{ACCOUNT_ID}:group/developers"], "pull: `arn:aws:iam::"),
    (["--all", "--source", "access-advisor", "--recommendations"],
     "pull: --recommendations needs --source access-analyzer or securityhub"),
    (["--all", "--source", "securityhub", "--analyzer-arn", ANALYZER],
     "pull: --analyzer-arn is for --source access-analyzer"),
    (["--all", "--concurrency", "0"], "verify-refine pull: argument --concurrency: must be at "
                                      "least 1"),
    (["--all", "--concurrency", "40"], "pull: --concurrency is at most 32"),
    (["--all", "--wait", "-1"], "verify-refine pull: argument --wait: must be a positive"),
])
def test_misuse_is_one_line_and_calls_nothing(aws, cli, tmp_path, argv, message):  # noqa: F811
    code, stdout, err = cli("pull", *argv, "-o", tmp_path / "out")
    assert (code, stdout) == (2, "")
    assert one_line_error(err).startswith(message)
    assert files_under(tmp_path) == [] and aws.stubbers == {}  # no client was even made


def test_a_folder_with_files_in_it_is_refused(aws, cli, tmp_path):  # noqa: F811
    (tmp_path / "old.json").write_text("{}")
    code, _, err = cli("pull", "--all", "-o", tmp_path)
    assert code == 2
    assert one_line_error(err) == f"pull: `{tmp_path}` is not empty: give a new folder (files " \
                                  "left from an earlier pull would be read by batch as current)"
    assert files_under(tmp_path) == ["old.json"]


def test_an_arn_not_in_the_account_writes_nothing(aws, cli, tmp_path):  # noqa: F811
    create_account(ACCOUNT)
    analyzers(aws, summary("unused-access"))
    code, _, err = cli("pull", f"arn:aws:iam::{ACCOUNT_ID}:role/app-deployr", "-o",
                       tmp_path / "out")
    assert code == 2
    assert one_line_error(err).startswith(f"pull: no role or user of the account has the ARN "
                                          f"`arn:aws:iam::{ACCOUNT_ID}:role/app-deployr`")
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("found, option, message", [
    ([], [], f"pull: no active unused-access analyzer in {REGION}: create one with 'aws "
             "accessanalyzer create-analyzer --analyzer-name unused-access --type "
             "ACCOUNT_UNUSED_ACCESS' (docs/AWS.md), or use --source access-advisor"),
    ([summary("a", "CREATING")], [], "pull: no active unused-access analyzer"),
    ([summary("a"), summary("b")], [], f"pull: 2 unused-access analyzers in {REGION} ("
                                       f"{summary('a')['arn']}, {summary('b')['arn']}): choose "
                                       "one with --analyzer-arn"),
    ([summary("a")], ["--analyzer-arn", summary("b")["arn"]],
     f"pull: --analyzer-arn `{summary('b')['arn']}` is no unused-access analyzer of {REGION}"),
])
def test_the_analyzer_must_be_known(aws, cli, tmp_path, found, option, message):  # noqa: F811
    analyzers(aws, *found)
    code, _, err = cli("pull", "--all", "-o", tmp_path / "out", *option)
    assert code == 2
    assert one_line_error(err).startswith(message)
    assert files_under(tmp_path) == []


def test_no_region_is_one_line(aws, cli, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    code, _, err = cli("pull", "--all", "-o", tmp_path / "out")
    assert code == 2
    assert one_line_error(err) == "pull: no AWS region: give --region or set " \
                                  "AWS_DEFAULT_REGION (Access Analyzer and Security Hub are " \
                                  "regional)"


DOCUMENTS = ("PolicyDocument", "AssumeRolePolicyDocument", "Document")


def documents(value, change):
    """VALUE with every policy document replaced by CHANGE(document)."""
    if isinstance(value, dict):
        return {k: change(v) if k in DOCUMENTS else documents(v, change)
                for k, v in value.items()}
    if isinstance(value, list):
        return [documents(v, change) for v in value]
    return value


def test_every_page_of_the_account_policies_is_kept(aws, cli, tmp_path):  # noqa: F811
    # IAM's API sends policy documents URL-encoded; botocore decodes them, as the AWS CLI does.
    whole = documents(json.loads(ACCOUNT.read_text()), lambda d: d if isinstance(d, str)
                      else urllib.parse.quote(json.dumps(d)))
    part = copy.deepcopy(whole)  # botocore decodes the documents of its answers in place
    first = {"RoleDetailList": part["RoleDetailList"], "IsTruncated": True, "Marker": "m1"}
    second = {k: part[k] for k in ("UserDetailList", "GroupDetailList")}
    last = {"Policies": part["Policies"], "IsTruncated": False}
    aws.answer("iam", "get_account_authorization_details", first, {})
    aws.answer("iam", "get_account_authorization_details", {**second, "IsTruncated": True,
                                                             "Marker": "m2"}, {"Marker": "m1"})
    aws.answer("iam", "get_account_authorization_details", last, {"Marker": "m2"})
    analyzers(aws, summary("unused-access"))
    aws.answer("accessanalyzer", "list_findings_v2", {"findings": []})
    code, stdout, err = cli("pull", DEPLOYER, "-o", tmp_path / "out")
    assert code == 0, err
    pulled = json.loads((tmp_path / "out" / "authorization-details.json").read_text())
    assert pulled == documents(whole, lambda d: json.loads(urllib.parse.unquote(d)))
    assert "IsTruncated" not in pulled and "Marker" not in pulled
