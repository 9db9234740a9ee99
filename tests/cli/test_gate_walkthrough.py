"""docs/GATE.md can be followed literally: its walk-through's shell blocks (each marked
`<!-- walkthrough: STEP -->`) run as written, in one shell, in an empty folder: a git repository
is made, the example certified and committed, cloned fresh, and the gate passes there with the
report the document shows; the edit the document describes then fails it with the report shown
(VR-stale at the statement edited). The GitHub Actions, GitLab CI and pre-commit snippets parse
and say what the action and the hook take."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import ROOT

GATE_MD = ROOT / "docs" / "GATE.md"
STEPS = ["start", "certify", "commit", "clone", "gate"]
BIN = Path(sys.executable).parent


def marked(kind: str) -> dict[str, str]:
    """The fenced blocks of GATE.md that follow `<!-- KIND: NAME -->`, by NAME, in order."""
    text = GATE_MD.read_text(encoding="utf-8")
    pattern = re.compile(rf"<!-- {kind}: ([\w-]+) -->\n```[a-z]*\n(.*?)```\n", re.S)
    return {name: body for name, body in pattern.findall(text)}


def fenced(language: str) -> list[str]:
    text = GATE_MD.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```\n", text, re.S | re.M)


def shell(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """A script as a user's shell runs it, stopping at the first failing command; verify-refine
    and git on PATH, VERIFY_REFINE the verify-refine checkout, no user configuration."""
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd),
           "VERIFY_REFINE": str(ROOT), "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8",
           "GIT_AUTHOR_NAME": "you", "GIT_AUTHOR_EMAIL": "you@example.com",
           "GIT_COMMITTER_NAME": "you", "GIT_COMMITTER_EMAIL": "you@example.com"}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def without_root(report: str, where: Path) -> list[str]:
    """The report's lines after its first, which must name the folder it ran in."""
    lines = report.splitlines()
    assert lines[0] == f"root: {os.path.realpath(where)}", report
    return lines[1:]


def test_the_walkthrough_runs_as_written(tmp_path):
    steps = marked("walkthrough")
    assert list(steps) == STEPS, "GATE.md's walk-through steps changed: update this test"
    outputs = marked("walkthrough-output")
    assert list(outputs) == ["green", "red"]
    done = shell("\n".join(steps[name] for name in STEPS), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    clone = tmp_path / "fresh-clone"
    assert without_root(done.stdout, clone) == outputs["green"].splitlines()[1:]
    # the clone holds exactly what was committed, and the gate found everything it needs
    tracked = subprocess.run(["git", "ls-files"], cwd=clone, capture_output=True, text=True,
                             check=True).stdout.split()
    assert sorted(tracked) == sorted(f"policies/blog/{name}" for name in (
        "policy.json", "unused.json", "catalog.json", "policy.refined.json", "policy.cert.json"))

    policy = clone / "policies" / "blog" / "policy.json"  # the edit the document describes
    assert policy.read_text().count('"s3:Get*"') == 1
    policy.write_text(policy.read_text().replace('"s3:Get*"', '"s3:*"'))
    done = shell(steps["gate"], clone)
    assert done.returncode == 1, done.stderr
    assert without_root(done.stdout, clone) == outputs["red"].splitlines()[1:]


def test_the_ci_snippets_use_what_the_action_and_the_hook_take():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    workflows = [yaml.safe_load(block) for block in fenced("yaml")]
    uses = [step for doc in workflows if isinstance(doc, dict) and "jobs" in doc
            for job in doc["jobs"].values() for step in job["steps"]
            if step.get("uses", "").startswith("verify-refine/verify-refine@")]
    assert uses, "GATE.md has no workflow that uses the action"
    for step in uses:
        assert set(step["with"]) <= set(action["inputs"])
        assert {"paths", "format", "solver", "catalog", "fail-on-drift", "warn-only"} \
            <= set(step["with"])
    gitlab = next(doc for doc in workflows if isinstance(doc, dict) and "verify-refine" in doc
                  and "script" in doc["verify-refine"])
    script = gitlab["verify-refine"]["script"]
    assert any(line.startswith("verify-refine gate ") for line in script)
    config = next(doc for doc in workflows if isinstance(doc, dict) and "repos" in doc)
    [hook] = config["repos"][0]["hooks"]
    assert hook["id"] in {h["id"] for h in hooks}


def test_gate_md_explains_every_option_of_the_gate():
    import argparse

    from verify_refine.cli import build_parser

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    options = [a.option_strings[-1] for a in commands.choices["gate"]._actions
               if a.option_strings and a.option_strings[-1] != "--help"]
    section = GATE_MD.read_text(encoding="utf-8").split("\n## Options\n", 1)[1].split("\n## ")[0]
    assert [o for o in options if f"\n- `{o}" not in section] == []
