"""Shared test helpers: where the examples and fixtures are, the CLI run in-process or as its own
process, and small writers and checks that many test files use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verify_refine.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BLOG = EXAMPLES / "blog"
BLOG_POLICY = BLOG / "policy.json"
BLOG_UNUSED = BLOG / "unused.json"
BLOG_CATALOG = BLOG / "catalog-2024-10-24.json"
FIXTURES = ROOT / "tests" / "fixtures"
AWS_FIXTURES = FIXTURES / "aws"
BAD = ROOT / "tests" / "bad"
S3_LAMBDA_CATALOG = FIXTURES / "catalog-2026-10-27-lambda-s3.json"
# The corpus of real policies is not ours: it is read from the shared folder next to the
# repository, and the tests that need it skip when it is absent.
CORPUS = ROOT.parent / "shared" / "corpus"
MANAGED = CORPUS / "aws-managed-policies"
SCRIPT = Path(sys.executable).with_name("verify-refine")


def run(capsys, *argv) -> tuple[int, str, str]:
    """`verify-refine ARGV...` in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def script(*argv, cwd=None, env=None, input=None, timeout: float = 120, module: bool = False
           ) -> subprocess.CompletedProcess:
    """The installed `verify-refine` script (or `python -m verify_refine` with MODULE) as its own
    process, so that a crash, a hang (timeout) or an interpreter-level problem shows as a user
    would see it."""
    if module:
        command = [sys.executable, "-m", "verify_refine"]
    else:
        assert SCRIPT.is_file(), f"console script {SCRIPT} is not installed"
        command = [str(SCRIPT)]
    return subprocess.run([*command, *map(str, argv)], cwd=cwd, env=env, input=input,
                          capture_output=True, text=True, timeout=timeout)


def require(folder: Path) -> Path:
    """FOLDER, or skip the test with a message saying where the shared corpus was looked for."""
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: clone the project next to its shared/ folder")
    return folder


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def policy_doc(*actions: str, key: str = "Action") -> dict:
    """A one-statement Allow policy over the given action entries."""
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", key: list(actions), "Resource": "*"}]}


def files_under(folder: Path) -> list[str]:
    """Every file and folder below `folder`, relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def one_line_error(err: str) -> str:
    """The single line a command printed for bad input (never a traceback)."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def json_paths(value, at=()):
    """Every JSON path in a value (a tuple of keys and indexes), the value's own first."""
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from json_paths(item, (*at, i))


def certify_example(catalog: Path, folder: Path) -> Path:
    """An example's policy and findings (beside CATALOG), and the catalog as catalog.json,
    copied into FOLDER and certified there as x.refined.json and x.cert.json."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for part in ("policy.json", "unused.json"):
        shutil.copy(catalog.parent / part, folder / part)
    shutil.copy(catalog, folder / "catalog.json")
    assert main(["refine", str(folder / "policy.json"), "--unused", str(folder / "unused.json"),
                 "--catalog", str(folder / "catalog.json"), "-o", str(folder / "x.refined.json"),
                 "--certificate", str(folder / "x.cert.json")]) == 0
    return folder


def replaced(value, at: tuple, replacement):
    """VALUE with the item at JSON path AT (see json_paths) replaced, in place; the whole value
    when AT is empty."""
    if not at:
        return replacement
    parent = value
    for step in at[:-1]:
        parent = parent[step]
    parent[at[-1]] = replacement
    return value


def inline_account(folder: Path, roles: dict[str, tuple[dict, list[str]]],
                   policy_name: str = "all") -> Path:
    """folder/auth.json, an account whose roles (by name) each hold one inline policy (the
    document), and folder/findings/<role>.json naming its unused actions. Returns auth.json."""
    (folder / "findings").mkdir(parents=True, exist_ok=True)
    details = []
    for name, (document, unused) in roles.items():
        details.append({"RoleName": name, "Arn": f"arn:aws:iam::111122223333:role/{name}",
                        "RolePolicyList": [{"PolicyName": policy_name,
                                            "PolicyDocument": document}],
                        "AttachedManagedPolicies": []})
        (folder / "findings" / f"{name}.json").write_text(json.dumps(unused))
    auth = folder / "auth.json"
    auth.write_text(json.dumps({"RoleDetailList": details, "UserDetailList": [],
                                "GroupDetailList": [], "Policies": []}))
    return auth
