"""`batch --plan` (issue 13, item 6): the AWS CLI commands that apply each proved result, written
for review and never run by verify-refine. A golden plan for the small account (an inline role,
user and Deny-keeping policy, a customer managed policy with IAM's five versions, one attached
to a role and a group, a detached one, an AWS managed one replaced by a copy), run by a real
shell against a stand-in `aws` that records its arguments, and generated names that must reach
`aws` exactly as written."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG
from verify_refine.batch import plan
from verify_refine.inputs.account import Principal, Task, Version

ACCOUNT = AWS_FIXTURES / "account-plan.json"
FINDINGS = AWS_FIXTURES / "findings-small"
GOLDEN = AWS_FIXTURES / "account-plan.plan.sh"
ROLE_ARN = "arn:aws:iam::123456789012:policy/verify-refine/AWSLambda_ReadOnlyAccess-app-deployer"

# What the plan has `aws` do, in order, once a real shell runs it.
EXPECTED = [
    ["put-role-policy", "--role-name", "app-deployer", "--policy-name", "invoke-and-read",
     "--policy-document", "file://app-deployer/invoke-and-read.refined.json"],
    ["detach-role-policy", "--role-name", "app-deployer", "--policy-arn",
     "arn:aws:iam::123456789012:policy/lambda-deploy"],
    ["create-policy", "--policy-name", "AWSLambda_ReadOnlyAccess-app-deployer", "--path",
     "/verify-refine/", "--policy-document",
     "file://app-deployer/AWSLambda_ReadOnlyAccess.refined.json", "--query", "Policy.Arn",
     "--output", "text"],
    ["attach-role-policy", "--role-name", "app-deployer", "--policy-arn", ROLE_ARN],
    ["detach-role-policy", "--role-name", "app-deployer", "--policy-arn",
     "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"],
    ["put-role-policy", "--role-name", "data-reader", "--policy-name", "read-reports",
     "--policy-document", "file://data-reader/read-reports.refined.json"],
    ["put-user-policy", "--user-name", "ci-bot", "--policy-name", "ci-publish",
     "--policy-document", "file://ci-bot/ci-publish.refined.json"],
    ["put-user-policy", "--user-name", "ci-bot", "--policy-name", "no-bucket-policy",
     "--policy-document", "file://ci-bot/no-bucket-policy.refined.json"],
    ["delete-policy-version", "--policy-arn", "arn:aws:iam::123456789012:policy/ci-artifacts",
     "--version-id", "v3"],
    ["create-policy-version", "--policy-arn", "arn:aws:iam::123456789012:policy/ci-artifacts",
     "--policy-document", "file://ci-bot/ci-artifacts.refined.json", "--set-as-default"],
]


def batch(cli, out: Path, *more):
    return cli("batch", ACCOUNT, "--findings", FINDINGS, "-o", out, "--catalog", BLOG_CATALOG,
               "--jobs", "2", *more)


def fake_aws(folder: Path) -> Path:
    """A stand-in `aws` on PATH: appends its arguments to aws.log as a JSON line and, for
    create-policy, prints the ARN the new policy would get."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    script = bin_dir / "aws"
    script.write_text(f"#!{sys.executable}\n" + """import json, os, sys
args = sys.argv[1:]
with open(os.environ["AWS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[1] == "create-policy":
    name = args[args.index("--policy-name") + 1]
    print(f"arn:aws:iam::123456789012:policy/verify-refine/{name}")
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def run_plan(path: Path, folder: Path) -> list[list[str]]:
    """Run a plan with /bin/sh and the stand-in `aws`: the calls it made, `iam` dropped."""
    log = folder / "aws.log"
    env = dict(os.environ, PATH=f"{fake_aws(folder)}{os.pathsep}{os.environ['PATH']}",
               AWS_LOG=str(log))
    done = subprocess.run(["sh", str(path)], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert all(call[0] == "iam" for call in calls)
    return [call[1:] for call in calls]


def test_the_plan_of_the_small_account_is_the_golden_one_and_applies_each_result(cli,
                                                                                 tmp_path):
    out = tmp_path / "out"
    code, stdout, err = batch(cli, out, "--plan", "--aws-managed")
    assert code == 0, err
    assert stdout.startswith("batch: 10 policies: 8 proved, 2 detach, 0 refuted")
    assert f"and {out / 'plan.sh'} (not run)" in err
    text = (out / "plan.sh").read_text()
    assert text == GOLDEN.read_text()
    assert (out / "plan.sh").stat().st_mode & stat.S_IXUSR
    shared = text.split("# role data-reader: reports-read (managed): proved\n")[1].split("\n\n")[0]
    assert shared.splitlines() == [
        "# warning: arn:aws:iam::123456789012:policy/team/reports-read is attached 2 times "
        "(AttachmentCount, groups included): a new default version changes it for every role, "
        "user and group it is attached to, and it is proved for role data-reader only",
        "# the commands are commented out: run them only once the refinement suits every one "
        "of them",
        "# aws iam create-policy-version --policy-arn "
        "arn:aws:iam::123456789012:policy/team/reports-read --policy-document "
        "file://data-reader/reports-read.refined.json --set-as-default"]
    assert run_plan(out / "plan.sh", tmp_path) == EXPECTED
    for call in EXPECTED:  # every document the plan names was written, proved
        for arg in call:
            if arg.startswith("file://"):
                refined = out / arg.removeprefix("file://")
                assert refined.is_file()
                assert refined.with_name(refined.name.replace(".refined.", ".cert.")).is_file()


def test_without_plan_nothing_is_planned_and_skip_aws_managed_skips_them(cli, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = batch(cli, out, "--skip-aws-managed")
    assert code == 0, err
    assert not (out / "plan.sh").exists()
    assert stdout.startswith("batch: 9 policies: ")  # the group's two for ci-bot included
    assert "- role `app-deployer`: AWS-managed " \
           "`arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess` (--skip-aws-managed)" \
           in (out / "summary.md").read_text()
    assert not (out / "app-deployer" / "AWSLambda_ReadOnlyAccess.original.json").exists()


def test_a_principal_named_like_the_plan_gets_another_folder(cli, tmp_path):
    account = json.loads(ACCOUNT.read_text())
    account["UserDetailList"][0]["UserName"] = "plan.sh"
    (tmp_path / "account.json").write_text(json.dumps(account))
    findings = tmp_path / "findings"
    findings.mkdir()
    (findings / "plan.sh.txt").write_text((FINDINGS / "ci-bot.txt").read_text())
    out = tmp_path / "out"
    code, _, err = cli("batch", tmp_path / "account.json", "--findings", findings, "-o", out,
                       "--catalog", BLOG_CATALOG, "--plan")
    assert code == 0, err
    assert (out / "plan.sh").is_file() and (out / "plan.sh.user").is_dir()
    assert "--user-name plan.sh --policy-name ci-publish --policy-document " \
           "file://plan.sh.user/ci-publish.refined.json" in (out / "plan.sh").read_text()


# --- generated names reach `aws` exactly as written, and never break out of a comment --------

NAMES = st.text(alphabet=st.sampled_from("ab-_+=,.@ '\"$`;&|\\\n\t*?#(){}!~"), min_size=1,
                max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(principal=NAMES, policy=NAMES, kind=st.sampled_from(["role", "user"]),
       policy_kind=st.sampled_from(["inline", "managed", "aws-managed"]),
       versions=st.integers(1, 5), attachments=st.integers(1, 3))
def test_generated_names_are_passed_exactly(tmp_path, principal, policy, kind, policy_kind,
                                            versions, attachments):
    work = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    (work / "out" / "p").mkdir(parents=True)
    (work / "out" / "p" / "s.original.json").write_text('{"Statement": [1, 2]}')
    (work / "out" / "p" / "s.refined.json").write_text('{"Statement": [1]}')
    who = Principal(principal, kind, f"arn:aws:iam::123456789012:{kind}/{principal}",
                    folder="p")
    arn = f"arn:aws:iam::123456789012:policy/{policy}"
    task = Task(who, policy, policy_kind, b"{}", stem="s", arn=arn, attachments=attachments,
                versions=tuple(Version(f"v{n}", n == versions, None)
                               for n in range(1, versions + 1)))
    text = plan.script([(task, {"verdict": "proved"})], work / "out", [f"header {principal}"])
    assert all(line.startswith("#") or line.startswith(("aws ", "arn=$(aws ", "set ", "cd "))
               or line == "" for line in text.splitlines()), text
    (work / "out" / "plan.sh").write_text(text)
    calls = run_plan(work / "out" / "plan.sh", work)
    flag = f"--{kind}-name"
    if not (principal + policy).isprintable():  # no IAM name: commented, never run
        assert calls == [] and ", which no IAM name does: nothing to apply" in text
    elif policy_kind == "inline":
        assert calls == [[f"put-{kind}-policy", flag, principal, "--policy-name", policy,
                          "--policy-document", "file://p/s.refined.json"]]
    elif policy_kind == "managed" and attachments > 1:  # shared: commented out, never run
        assert calls == [] and "# aws iam create-policy-version --policy-arn " in text
    elif policy_kind == "managed":
        first = [["delete-policy-version", "--policy-arn", arn, "--version-id", "v1"]] \
            if versions == 5 else []
        assert calls == first + [["create-policy-version", "--policy-arn", arn,
                                  "--policy-document", "file://p/s.refined.json",
                                  "--set-as-default"]]
    else:
        copy = plan.copy_name(task)
        assert [c[0] for c in calls] == ["create-policy", f"attach-{kind}-policy",
                                         f"detach-{kind}-policy"]
        assert calls[0][2] == copy and calls[1][1:] == [
            flag, principal, "--policy-arn",
            f"arn:aws:iam::123456789012:policy/verify-refine/{copy}"]
        assert calls[2][1:] == [flag, principal, "--policy-arn", arn]
