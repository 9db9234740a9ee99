"""Issue 12 item 9, the gate cannot be fooled: the cases no other test file covers, each failing
closed with a named rule through the real command line. Covered elsewhere: a certificate of
another policy and a refined file edited after certification (test_gate.py), a link out of the
tree (test_gate_walk.py), a slice edited to drop an action and a version 1 certificate
(test_catalog_drift.py), an empty tree (test_gate.py). Here: two refined files and one
certificate; one refined file and several certificates (both fail: a refined policy has one
certificate); unreadable files and folders (chmod 000); a tree of policies with no certificate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, EXAMPLES, SCRIPT
from verify_refine.cli import main
from verify_refine.inputs.policy import parse_policy

NO_DAC = ["--inh-caps=-dac_override,-dac_read_search",
          "--bounding-set=-dac_override,-dac_read_search"]


def certify(folder: Path, example: Path, catalog: Path) -> None:
    folder.mkdir(parents=True)
    for part in ("policy.json", "unused.json"):
        shutil.copy(example / part, folder / part)
    shutil.copy(catalog, folder / "catalog.json")
    assert main(["refine", str(folder / "policy.json"), "--unused", str(folder / "unused.json"),
                 "--catalog", str(folder / "catalog.json"), "-o", str(folder / "x.refined.json"),
                 "--certificate", str(folder / "x.cert.json")]) == 0


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    """blog/ and deployer/: policy, findings, catalog, refined policy and certificate."""
    base = tmp_path_factory.mktemp("fooled")
    certify(base / "blog", BLOG, BLOG / "catalog-2024-10-24.json")
    certify(base / "deployer", EXAMPLES / "deployer",
            EXAMPLES / "deployer" / "catalog-2026-10-27.json")
    return base


@pytest.fixture
def repo(certified, tmp_path, monkeypatch) -> Path:
    """./repo/policies/blog, certified; the current folder is repo."""
    shutil.copytree(certified / "blog", tmp_path / "repo" / "policies" / "blog")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


def gate(capsys, *argv) -> tuple[int, dict]:
    """The gate's JSON report, in this process (one job: nothing to fork)."""
    code = main(["gate", *map(str, argv), "--root", ".", "--jobs", "1", "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 3), err
    return code, json.loads(out)


def results(doc: dict) -> set[tuple[str, str, int, int]]:
    return {(r["rule"], r["file"], r["line"], r["column"]) for r in doc["results"]}


def first_statement(path: Path) -> tuple[int, int]:
    span = parse_policy(path.read_bytes(), str(path)).statements[0].span
    return span.line, span.column


def refined_at(cert: Path) -> tuple[int, int]:
    """Line and column of the value of files.refined in a certificate."""
    for number, line in enumerate(cert.read_text().splitlines(), 1):
        if '"refined": "' in line and line.lstrip().startswith('"refined"'):
            return number, line.index('"refined": "') + len('"refined": ') + 1
    raise AssertionError(f"no files.refined in {cert}")


# ---------------------------------------------------------- two refined files, one certificate

def test_copies_of_a_refined_policy_are_not_covered_by_its_certificate(repo, capsys):
    blog = repo / "policies" / "blog"
    (blog / "other").mkdir()
    shutil.copy(blog / "x.refined.json", blog / "y.refined.json")
    shutil.copy(blog / "x.refined.json", blog / "other" / "x.refined.json")
    code, doc = gate(capsys, "policies")
    assert code == 1
    line, column = first_statement(blog / "x.refined.json")
    assert results(doc) == {
        ("VR-missing-certificate", "policies/blog/y.refined.json", line, column),
        ("VR-missing-certificate", "policies/blog/other/x.refined.json", line, column)}
    covered = {row["path"]: row["covered_by"] for row in doc["required"]}
    assert covered["policies/blog/x.refined.json"] == "policies/blog/x.cert.json"


# ---------------------------------------------------------- one refined file, two certificates

def test_a_refined_policy_named_by_two_certificates_fails_both(repo, capsys):
    """A second, genuine proof: a copy of the original refined into the same file. Each
    certificate checks alone; together neither passes, at the name each records."""
    blog = repo / "policies" / "blog"
    shutil.copy(blog / "policy.json", blog / "copy.json")
    assert main(["refine", str(blog / "copy.json"), "--unused", str(blog / "unused.json"),
                 "--catalog", str(blog / "catalog.json"), "-o", str(blog / "x.refined.json"),
                 "--certificate", str(blog / "y.cert.json")]) == 0
    capsys.readouterr()
    for alone in ("x.cert.json", "y.cert.json"):
        code, doc = gate(capsys, "policies", "--exclude", f"policies/blog/{alone}")
        assert code == 0 and doc["summary"]["valid"] == 1
    code, doc = gate(capsys, "policies")
    assert code == 1
    assert results(doc) == {
        ("VR-duplicate-certificate", f"policies/blog/{name}", *refined_at(blog / name))
        for name in ("x.cert.json", "y.cert.json")}
    message = {r["file"]: r["message"] for r in doc["results"]}
    assert message["policies/blog/x.cert.json"].startswith(
        "policies/blog/x.refined.json is the refined file of this certificate and of "
        "policies/blog/y.cert.json: a refined policy has one certificate")
    summary = doc["summary"]
    assert (summary["valid"], summary["failed"], summary["uncovered"]) == (0, 2, 0)
    code, out, _ = run_text(capsys, "policies", "--warn-only")
    assert code == 0 and out.count(": warning: VR-duplicate-certificate: ") == 2


def test_a_failing_copy_fails_on_its_own_and_leaves_the_proof_standing(repo, capsys):
    """A certificate that fails makes no claim: it is reported for its own failure, and the one
    that checks still covers the policy."""
    blog = repo / "policies" / "blog"
    cert = json.loads((blog / "x.cert.json").read_text())
    cert["obligations"][0]["smt2"] += "\n"
    (blog / "y.cert.json").write_text(json.dumps(cert, indent=1))
    code, doc = gate(capsys, "policies")
    assert code == 1
    assert {(r["rule"], r["file"]) for r in doc["results"]} == {
        ("VR-certificate", "policies/blog/y.cert.json")}
    covered = {row["path"]: row["covered_by"] for row in doc["required"]}
    assert covered == {"policies/blog/x.refined.json": "policies/blog/x.cert.json"}


def run_text(capsys, *argv) -> tuple[int, str, str]:
    code = main(["gate", *map(str, argv), "--root", ".", "--jobs", "1"])
    out, err = capsys.readouterr()
    return code, out, err


def place_copy(cert: Path, folder: Path) -> Path:
    """A copy of cert in folder, its recorded names rewritten to reach the same files (the
    names only locate what the hashes bind)."""
    doc = json.loads(cert.read_text())
    for section, name in (("files", "original"), ("files", "unused"), ("files", "refined"),
                          ("catalog", "path")):
        target = cert.parent / doc[section][name]
        doc[section][name] = os.path.relpath(target, folder).replace(os.sep, "/")
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"copy{len(list(folder.glob('*.cert.json')))}.cert.json"
    out.write_text(json.dumps(doc, indent=1))
    return out


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folders=st.lists(st.sampled_from(["policies/blog", "policies", "a", "a/b", "policies/c"]),
                        max_size=3))
def test_generated_certificates_sharing_a_refined_file(certified, capsys, folders):
    """Copies of the blog certificate anywhere in the tree, each naming the same refined file
    from its own folder: with one certificate the gate passes; with more, each one fails with
    VR-duplicate-certificate at its files.refined; the deployer's, alone on its file, passes."""
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        shutil.copytree(certified / "blog", repo / "policies" / "blog")
        shutil.copytree(certified / "deployer", repo / "deployer")
        copies = [place_copy(repo / "policies" / "blog" / "x.cert.json", repo / f)
                  for f in folders]
        sharing = [repo / "policies" / "blog" / "x.cert.json", *copies]
        cwd = os.getcwd()
        os.chdir(repo)
        try:
            code, doc = gate(capsys, ".")
        finally:
            os.chdir(cwd)
        failed = {(r["rule"], r["file"], r["line"], r["column"]) for r in doc["results"]}
        if copies:
            assert code == 1
            assert failed == {("VR-duplicate-certificate", str(c.relative_to(repo)),
                               *refined_at(c)) for c in sharing}
        else:
            assert code == 0 and failed == set()
        statuses = {c["path"]: c["status"] for c in doc["certificates"]}
        assert statuses.pop("deployer/x.cert.json") == "valid"
        assert set(statuses.values()) == {"invalid" if copies else "valid"}


# ---------------------------------------------------------------- unreadable files

def unprivileged(command: list[str]) -> list[str]:
    """command as a process that file permissions bind: root reads anything, so as root the
    capabilities that let it (DAC override, DAC read search) are dropped with setpriv."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, which reads any file, without setpriv (util-linux) to "
                    "drop that capability")
    return [setpriv, *NO_DAC, *command]


def test_unreadable_files_and_folders_fail_closed(certified, tmp_path):
    """chmod 000 on the certificate, each file it records, and a folder: each fails with its
    rule at its place, with and without --changed (which checks every certificate whose
    files it cannot read)."""
    repo = tmp_path / "repo"
    unreadable = {"cert": "x.cert.json", "original": "policy.json", "unused": "unused.json",
                  "refined": "x.refined.json", "catalog": "catalog.json", "folder": "sub"}
    for case, name in unreadable.items():
        shutil.copytree(certified / "blog", repo / case / ("sub" if case == "folder" else ""),
                        dirs_exist_ok=True)
        (repo / case / name).chmod(0)
    probe = subprocess.run(unprivileged([sys.executable, "-c",
                                         f"open({str(repo / 'cert' / 'x.cert.json')!r})"]),
                           capture_output=True)
    if probe.returncode == 0:
        pytest.skip("this process reads a file of mode 000 even without DAC capabilities")
    line, column = first_statement(certified / "blog" / "x.refined.json")
    expected = {("VR-unreadable", "cert/x.cert.json", 1, 1),
                ("VR-missing-certificate", "cert/x.refined.json", line, column),
                ("VR-input", "original/policy.json", 1, 1),
                ("VR-input", "unused/unused.json", 1, 1),
                ("VR-input", "refined/x.refined.json", 1, 1),
                ("VR-input", "catalog/catalog.json", 1, 1),
                ("VR-input", "folder/sub", 1, 1)}
    try:
        for changed in ([], ["--changed"]):
            done = subprocess.run(unprivileged([str(SCRIPT), "gate", "--root", ".", "--format",
                                                "json", "--jobs", "1", *changed]),
                                  cwd=repo, capture_output=True, text=True, timeout=120)
            assert done.returncode == 1, done.stderr
            doc = json.loads(done.stdout)
            assert results(doc) == expected
            messages = [r["message"] for r in doc["results"]]
            assert all("Permission denied" in m for m in messages
                       if not m.startswith("no certificate names"))
            assert doc["summary"]["failed"] == 5 and doc["summary"]["valid"] == 0
    finally:
        for case, name in unreadable.items():
            (repo / case / name).chmod(0o755)


# ---------------------------------------------------------------- policies, no certificate

def test_a_tree_of_policies_without_certificates_fails(certified, tmp_path, monkeypatch,
                                                        capsys):
    """Original and refined policies committed without a single certificate: every refined
    policy fails (exit 1, not the exit 2 of a tree with nothing to check), in shadow mode too
    (as warnings)."""
    for name in ("blog", "deployer"):
        shutil.copytree(certified / name, tmp_path / "repo" / name,
                        ignore=shutil.ignore_patterns("*.cert.json"))
    monkeypatch.chdir(tmp_path / "repo")
    code, doc = gate(capsys, ".")
    assert code == 1
    assert results(doc) == {
        ("VR-missing-certificate", f"{name}/x.refined.json",
         *first_statement(tmp_path / "repo" / name / "x.refined.json"))
        for name in ("blog", "deployer")}
    assert (doc["summary"]["certificates"], doc["summary"]["uncovered"]) == (0, 2)
    code, doc = gate(capsys, ".", "--warn-only")
    assert code == 0 and {r["level"] for r in doc["results"]} == {"warning"}
