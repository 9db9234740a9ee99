"""The pre-commit hook and the GitHub Action over infrastructure code: the hook installs the
[iac] extra's libraries (its additional_dependencies are the extra's pins) and, under real git
commits, stops an edit of a certified policy in a YAML template, in a Terraform file, and in the
.tf file that uses a policy document declared in another file; a commit that touches no policy
passes."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib

import pytest
import yaml

from tests.cli.test_gate_hooks import ACTION, BIN, commit, environment, step
from tests.helpers import FIXTURES, ROOT
from verify_refine.cli import main

pytest.importorskip("tree_sitter_hcl")
pytest.importorskip("ruamel.yaml")

IAC = FIXTURES / "iac"


def test_the_hook_installs_the_iac_extra_and_the_action_too():
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["iac"]
    assert hook["additional_dependencies"] == extra
    assert hook["files"] == "" and set(hook["types_or"]) == {"file", "symlink"}  # .tf too
    install = step(name="Install verify-refine")["run"]
    assert '"$ACTION_PATH[iac]"' in install and '"$ACTION_PATH[cvc5,iac]"' in install
    assert ACTION["runs"]["using"] == "composite"


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """A repository tree: a YAML template and a Terraform folder (a policy document declared
    in policies.tf, used in main.tf), each refined in place with certificates."""
    root = tmp_path_factory.mktemp("iac-hooks") / "infra"
    (root / "cfn").mkdir(parents=True)
    for name in ("app.yaml", "app-role-finding.json"):
        shutil.copy(IAC / name, root / "cfn" / name)
    shutil.copytree(IAC / "terraform" / "document", root / "tf")
    finding = json.loads((IAC / "app-role-finding.json").read_text())
    finding["resource"] = "arn:aws:iam::123456789012:role/app"
    (root / "tf-finding.json").write_text(json.dumps(finding))
    assert main(["refine", str(root / "cfn" / "app.yaml"), "--unused",
                 str(root / "cfn" / "app-role-finding.json"), "--in-place", "--certificate",
                 str(root / "cfn" / "certs")]) == 0
    assert main(["refine", str(root / "tf"), "--unused", str(root / "tf-finding.json"),
                 "--in-place", "--certificate", str(root / "tf-certs")]) == 0
    return root


@pytest.fixture
def repo(certified, tmp_path):
    """The tree committed, with the hook installed as a local hook of .pre-commit-hooks.yaml's
    fields, run from this environment (language system installs nothing, so the extra's
    libraries are this environment's)."""
    env = environment(tmp_path)
    repo = tmp_path / "repo"
    shutil.copytree(certified, repo / "infra")
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = {k: v for k, v in hook.items() if k != "additional_dependencies"}
    hook = dict(hook, language="system", args=["infra"])
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": "local", "hooks": [hook]}]}))
    (repo / "README.md").write_text("infra\n")
    for command in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", "certified"],
                    [str(BIN / "pre-commit"), "install"]):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    return repo, env


def test_pre_commit_stops_an_edit_of_a_certified_template_policy(repo):
    repo, env = repo
    path = repo / "infra" / "cfn" / "app.yaml"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "- s3:GetObject")
    lines.insert(at + 1, lines[at].replace("s3:GetObject", "s3:PutObject"))
    path.write_text("".join(lines))
    done = commit(repo, env)
    assert done.returncode == 1, done.stdout
    assert f"infra/cfn/app.yaml:{at + 1}:" in done.stdout and "VR-stale" in done.stdout
    (repo / "README.md").write_text("infra, certified\n")  # touches no certificate
    done = commit(repo, env)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("file, edit, message", [
    ("policies.tf", lambda t: t.replace('"s3:ListBucket",', '"s3:ListBucket",\n'
                                        '      "s3:PutObject",'), "VR-stale"),
    ("main.tf", lambda t: t.replace("policy = data.aws_iam_policy_document.app.json",
                                    'policy = "{}"'),
     "no policy `data.aws_iam_policy_document.app`"),
])
def test_pre_commit_stops_an_edit_of_a_terraform_policy_in_either_file(repo, file, edit,
                                                                       message):
    repo, env = repo
    path = repo / "infra" / "tf" / file
    path.write_text(edit(path.read_text()))
    done = commit(repo, env)
    assert done.returncode == 1, done.stdout
    assert message in done.stdout
