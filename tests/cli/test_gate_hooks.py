"""The integrations run the gate when any input of a certificate changes. The pre-commit hook,
as .pre-commit-hooks.yaml defines it, under real pre-commit and real git commits: an edit of the
original policy, and of the findings file, each stop the commit with the rule at its line; a
deleted input names the path. The GitHub Action's shell steps, run by bash as the runner runs
them, with each input: paths, catalog, solver (z3, cvc5, both), format, warn-only,
fail-on-drift."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import BLOG, ROOT, S3_LAMBDA_CATALOG
from verify_refine.cli import main
from verify_refine.inputs.policy import parse_policy

BIN = Path(sys.executable).parent  # verify-refine and pre-commit, as installed with the extra


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hooks") / "policies" / "blog"
    folder.mkdir(parents=True)
    for part in ("policy.json", "unused.json"):
        shutil.copy(BLOG / part, folder / part)
    shutil.copy(BLOG / "catalog-2024-10-24.json", folder / "catalog.json")
    assert main(["refine", str(folder / "policy.json"), "--unused", str(folder / "unused.json"),
                 "--catalog", str(folder / "catalog.json"), "-o", str(folder / "x.refined.json"),
                 "--certificate", str(folder / "x.cert.json")]) == 0
    return folder.parent.parent


def environment(home: Path) -> dict:
    """No user's git or pre-commit configuration; our scripts first on PATH."""
    return {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(home),
            "PRE_COMMIT_HOME": str(home / "pre-commit"), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
            "LANG": "C.UTF-8"}


# ---------------------------------------------------------------- pre-commit

def test_the_hook_runs_on_every_commit_and_is_handed_the_staged_files():
    from pre_commit.clientlib import load_manifest  # pre-commit's own schema check

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "verify-refine-gate"
    assert hook["entry"] == "verify-refine gate --changed"
    assert hook["always_run"] is True and hook["pass_filenames"] is True
    assert hook["files"] == "" and hook["types"] == [] and \
        set(hook["types_or"]) == {"file", "symlink"}


@pytest.fixture
def repo(certified, tmp_path) -> tuple[Path, dict]:
    """A git repository with the certified blog committed and the hook installed (as a local
    hook with the fields of .pre-commit-hooks.yaml, run from this environment)."""
    env = environment(tmp_path)
    repo = tmp_path / "repo"
    shutil.copytree(certified, repo)
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = {k: v for k, v in hook.items() if k != "additional_dependencies"}  # none for system
    hook = dict(hook, language="system", args=["policies"])
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": "local", "hooks": [hook]}]}))
    (repo / "README.md").write_text("policies\n")
    for command in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", "certified"],
                    [str(BIN / "pre-commit"), "install"]):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    return repo, env


def commit(repo: Path, env: dict, *paths: str) -> subprocess.CompletedProcess:
    subprocess.run(["git", "add", "-A", *paths], cwd=repo, env=env, check=True)
    done = subprocess.run(["git", "commit", "-m", "change"], cwd=repo, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    if done.returncode:
        subprocess.run(["git", "reset", "-q", "--hard"], cwd=repo, env=env, check=True)
    return done


def test_pre_commit_stops_an_edit_of_the_original_or_of_the_findings(repo):
    repo, env = repo
    blog = repo / "policies" / "blog"
    doc = json.loads((blog / "policy.json").read_text())
    doc["Statement"][1]["Action"] = ["s3:*"]  # widened, not certified again
    (blog / "policy.json").write_text(json.dumps(doc, indent=2) + "\n")
    span = parse_policy((blog / "policy.json").read_bytes(), "p").statements[1].span
    done = commit(repo, env)
    assert done.returncode == 1, done.stdout
    assert "verify-refine gate (IAM policy proof certificates)" in done.stdout
    assert f"policies/blog/policy.json:{span.line}:{span.column}: error: VR-stale: the " \
           "original file is not the one certified" in done.stdout
    findings = json.loads((blog / "unused.json").read_text())
    findings[1]["actions"].pop()  # an action no longer called unused
    (blog / "unused.json").write_text(json.dumps(findings, indent=1))
    done = commit(repo, env)
    assert done.returncode == 1, done.stdout
    assert "policies/blog/unused.json:1:1: error: VR-stale: the unused file is not the one " \
           "certified" in done.stdout
    (repo / "README.md").write_text("policies, certified\n")  # touches no certificate
    done = commit(repo, env)
    assert done.returncode == 0, done.stdout
    assert "Passed" in done.stdout


def test_pre_commit_stops_a_deleted_input_naming_it(repo):
    repo, env = repo
    subprocess.run(["git", "rm", "-q", "policies/blog/unused.json"], cwd=repo, env=env,
                   check=True)
    done = commit(repo, env)
    assert done.returncode == 1, done.stdout
    assert "error: VR-input: the unused set file policies/blog/unused.json recorded by the " \
           "certificate: no such file" in done.stdout


# ---------------------------------------------------------------- the GitHub Action

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def step(step_id: str | None = None, name: str | None = None) -> dict:
    return next(s for s in ACTION["runs"]["steps"]
                if (s.get("id") == step_id if step_id else s.get("name") == name))


def run_step(found: dict, inputs: dict, cwd: Path, env: dict) -> tuple[int, str, dict]:
    """A composite step's bash script as the runner runs it (bash --noprofile --norc -eo
    pipefail), its ${{ inputs.X }} given (else the action's default): exit code, output, and
    what it wrote to $GITHUB_OUTPUT."""
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update(inputs)
    env = dict(env, GITHUB_OUTPUT=str(cwd / "github-output"))
    for name, expression in found["env"].items():
        inner = expression.removeprefix("${{").removesuffix("}}").strip()
        env[name] = str(ROOT) if inner == "github.action_path" \
            else values[inner.removeprefix("inputs.")]
    (cwd / "github-output").write_text("")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           found["run"]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    outputs = dict(line.split("=", 1) for line in
                   (cwd / "github-output").read_text().splitlines())
    return done.returncode, done.stdout + done.stderr, outputs


def test_the_action_installs_cvc5_only_when_asked_and_the_template_readers_always(tmp_path):
    """The install step's pip command, with a `python` on PATH that records its arguments."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").write_text('#!/bin/sh\necho "$@" > "$RECORD"\n')
    (tmp_path / "bin" / "python").chmod(0o755)
    env = environment(tmp_path)
    env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{env['PATH']}"
    install = step(name="Install verify-refine")
    for solver, spec in (("z3", f"{ROOT}[iac]"), ("cvc5", f"{ROOT}[cvc5,iac]"),
                         ("both", f"{ROOT}[cvc5,iac]")):
        env["RECORD"] = str(tmp_path / solver)
        code, _, _ = run_step(install, {"solver": solver}, tmp_path, env)
        assert code == 0
        assert (tmp_path / solver).read_text().split() == [
            "-m", "pip", "install", "--disable-pip-version-check", spec]
    code, out, _ = run_step(install, {"solver": "yices"}, tmp_path, env)
    assert code == 2 and "::error::verify-refine: solver must be z3, cvc5 or both" in out


@pytest.fixture
def checkout(certified, tmp_path) -> tuple[Path, dict]:
    shutil.copytree(certified, tmp_path / "checkout")
    shutil.copy(S3_LAMBDA_CATALOG, tmp_path / "checkout" / "today.json")
    return tmp_path / "checkout", environment(tmp_path)


def test_the_action_runs_the_gate_with_its_inputs(checkout):
    where, env = checkout
    gate = step("gate")
    code, out, outputs = run_step(gate, {"paths": "policies", "format": "sarif"}, where, env)
    assert (code, outputs) == (0, {"exit-code": "0"}), out
    log = json.loads((where / "verify-refine.sarif").read_text())
    assert len(log["runs"]) == 1 and log["runs"][0]["results"] == []
    code, out, _ = run_step(gate, {"catalog": "today.json"}, where, env)
    assert code == 0 and ": warning: VR-catalog-drift: " in out
    code, out, outputs = run_step(gate, {"catalog": "today.json", "fail-on-drift": "true"},
                                  where, env)
    assert (code, outputs) == (1, {"exit-code": "1"}) and ": error: VR-catalog-drift: " in out
    code, out, _ = run_step(gate, {"format": "yaml"}, where, env)
    assert code == 2 and "::error::verify-refine: format must be text, json or sarif" in out


def test_the_action_with_both_solvers_fails_when_either_run_fails(checkout):
    where, env = checkout
    gate = step("gate")
    code, out, _ = run_step(gate, {"solver": "both", "format": "json"}, where, env)
    assert code == 0 and "verify-refine gate, re-solved with cvc5:" in out, out
    refined = where / "policies" / "blog" / "x.refined.json"
    refined.write_text(refined.read_text().replace('"s3:GetObject*"', '"s3:*"'))
    code, out, outputs = run_step(gate, {"solver": "both"}, where, env)
    assert (code, outputs) == (1, {"exit-code": "1"})
    assert out.count("error: VR-stale: the refined file is not the one certified") == 2
    code, out, outputs = run_step(gate, {"solver": "both", "warn-only": "true"}, where, env)
    assert (code, outputs) == (0, {"exit-code": "0"})
    assert out.count("warning: VR-stale: ") == 2
