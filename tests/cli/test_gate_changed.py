"""gate --changed (what the pre-commit hook runs): a change to any file a certificate depends on
(the certificate, its original policy, findings file, refined policy, catalog file) checks that
certificate; a deleted or unreadable input fails closed naming the path, though pre-commit hands
over no deleted file; coverage of every required file is still checked over the whole tree; and
for the certificates it checks, the report is the full gate's."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, EXAMPLES, certify_example
from verify_refine.cli import main
from verify_refine.inputs.policy import parse_policy

CATALOGS = {"blog": BLOG / "catalog-2024-10-24.json",
            "deployer": EXAMPLES / "deployer" / "catalog-2026-10-27.json"}
FILES = {"original": "policy.json", "unused": "unused.json", "refined": "x.refined.json",
         "catalog": "catalog.json", "certificate": "x.cert.json"}


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    """policies/blog and policies/deployer, each certified over its catalog file."""
    base = tmp_path_factory.mktemp("changed")
    for name, catalog in CATALOGS.items():
        certify_example(catalog, base / "policies" / name)
    return base


@pytest.fixture
def repo(certified, tmp_path, monkeypatch) -> Path:
    shutil.copytree(certified / "policies", tmp_path / "repo" / "policies")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


def gate(capsys, *argv) -> tuple[int, dict]:
    code = main(["gate", *map(str, argv), "--root", ".", "--jobs", "1", "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 3), err
    return code, json.loads(out)


def edit(path: Path, what: str) -> None:
    """Change a file a certificate records, keeping it readable: a policy gains an action, the
    findings lose one, the catalog gains one, the certificate's first obligation changes."""
    doc = json.loads(path.read_text())
    if what in ("original", "refined"):
        statement = doc["Statement"][0]
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        statement["Action"] = [*actions, "nosuchservice:DoSomething"]
    elif what == "unused":
        findings = doc if isinstance(doc, list) else None
        if findings is not None:
            findings[0]["actions"].pop()
        else:  # an Access Analyzer finding
            details = doc["findingDetails"][0]["unusedPermissionDetails"]
            details["actions"].pop() if details.get("actions") else doc["findingDetails"].pop()
    elif what == "catalog":
        doc[sorted(doc)[0]].append("PublishedSinceCertification")
    else:
        doc["obligations"][0]["smt2"] += "\n"
    path.write_text(json.dumps(doc, indent=2) + "\n")


def rules(doc: dict) -> set[tuple[str, str, str]]:
    return {(r["rule"], r["level"], r["file"]) for r in doc["results"]}


def test_nothing_changed_checks_no_certificate_but_coverage(repo, capsys):
    code, doc = gate(capsys, "--changed")
    assert code == 0 and doc["results"] == []
    summary = doc["summary"]
    assert (summary["certificates"], summary["unchanged"], summary["covered"]) == (0, 2, 2)
    assert {c["status"] for c in doc["certificates"]} == {"unchanged"}
    code = main(["gate", "--changed", "--root", ".", "--jobs", "1"])
    assert capsys.readouterr().out.splitlines()[-1] == (
        "0 certificates checked, 0 valid, 0 failed, 2 required files, 0 uncovered, "
        "2 unchanged (--changed: not checked)")
    shutil.copy(repo / "policies/blog/x.refined.json", repo / "policies/stray.refined.json")
    code, doc = gate(capsys, "--changed")  # not handed over, still required
    assert code == 1
    assert rules(doc) == {("VR-missing-certificate", "error", "policies/stray.refined.json")}


@pytest.mark.parametrize("what, rule, level", [
    ("original", "VR-stale", "error"), ("unused", "VR-stale", "error"),
    ("refined", "VR-stale", "error"), ("certificate", "VR-certificate", "error"),
    ("catalog", "VR-catalog-drift", "warning")])
def test_a_change_to_any_recorded_file_checks_its_certificate(repo, capsys, what, rule, level):
    changed = Path("policies/blog") / FILES[what]
    edit(repo / changed, what)
    code, doc = gate(capsys, "--changed", "README.md")  # another file: blog is not checked
    assert code == 0 and doc["summary"]["unchanged"] == 2
    code, doc = gate(capsys, "--changed", changed, "README.md")
    assert code == (0 if level == "warning" else 1)
    # drift that no wildcard admits is placed at the certificate's slice hash
    where = "policies/blog/x.cert.json" if what in ("certificate", "catalog") else str(changed)
    assert rules(doc) == {(rule, level, where)}
    assert (doc["summary"]["certificates"], doc["summary"]["unchanged"]) == (1, 1)
    if what == "catalog":
        code, doc = gate(capsys, "--changed", changed, "--fail-on-drift")
        assert code == 1 and rules(doc) == {(rule, "error", where)}


@pytest.mark.parametrize("what", ["original", "unused", "refined", "catalog"])
def test_a_deleted_input_fails_closed_naming_it(repo, capsys, what):
    """pre-commit hands over no deleted file: the certificate whose file is gone is checked
    anyway, and fails at the line that records it."""
    missing = Path("policies/deployer") / FILES[what]
    os.unlink(repo / missing)
    cert = repo / "policies/deployer/x.cert.json"
    for argv in ([], [missing]):
        code, doc = gate(capsys, "--changed", *argv)
        assert code == 1
        [result] = doc["results"]
        assert (result["rule"], result["file"]) == ("VR-input", "policies/deployer/x.cert.json")
        assert f"file {missing} recorded by the certificate: no such file" in result["message"]
        assert f'"{FILES[what]}"' in cert.read_text().splitlines()[result["line"] - 1]


def test_a_deleted_certificate_leaves_its_policy_uncovered(repo, capsys):
    os.unlink(repo / "policies/blog/x.cert.json")
    code, doc = gate(capsys, "--changed")
    assert code == 1
    assert rules(doc) == {("VR-missing-certificate", "error", "policies/blog/x.refined.json")}


def test_folders_are_searched_and_a_changed_link_checks_everything(repo, capsys):
    edit(repo / "policies/blog/x.refined.json", "refined")
    code, doc = gate(capsys, "--changed", "policies/deployer", "policies/blog/x.refined.json")
    assert code == 0 and doc["summary"]["certificates"] == 0  # blog is not under the folder
    os.symlink("blog", repo / "policies/current")  # a staged link: what it leads to changed
    code, doc = gate(capsys, "--changed", "policies/current")
    assert code == 1 and doc["summary"]["certificates"] == 2
    assert ("VR-stale", "error", "policies/blog/x.refined.json") in rules(doc)


@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.sets(st.tuples(st.sampled_from(sorted(CATALOGS)), st.sampled_from(sorted(FILES)))),
       handed=st.sets(st.tuples(st.sampled_from(sorted(CATALOGS)),
                                st.sampled_from(sorted(FILES) + ["README.md"]))))
def test_changed_reports_what_the_full_gate_reports_of_the_certificates_it_touches(
        certified, capsys, edits, handed):
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(certified / "policies", Path(scratch) / "policies")
        cwd = os.getcwd()
        os.chdir(scratch)
        try:
            for folder, what in edits:
                edit(Path("policies", folder, FILES[what]), what)
            files = [Path("policies", folder, FILES.get(what, what)) for folder, what in handed]
            full_code, full = gate(capsys, "policies")
            code, changed = gate(capsys, "--changed", "policies", *files)
            _, everything = gate(capsys, "--changed", "policies", *(
                Path("policies", f, name) for f in CATALOGS for name in FILES.values()))
        finally:
            os.chdir(cwd)
        touched = {f"policies/{folder}/x.cert.json" for folder, what in handed
                   if what in FILES}
        assert changed["results"] == [r for r in full["results"] if r["certificate"] in touched]
        assert {c["path"] for c in changed["certificates"] if c["status"] != "unchanged"} \
            == touched
        assert everything["results"] == full["results"]
        assert everything["summary"] == dict(full["summary"], unchanged=0)
        if not touched & {f"policies/{folder}/x.cert.json" for folder, _ in edits}:
            assert code == 0


def test_the_edited_statement_is_reported_under_changed(repo, capsys):
    """The pre-commit hook's line for an edited original: the statement edited."""
    doc = json.loads((repo / "policies/blog/policy.json").read_text())
    doc["Statement"][1]["Action"] = ["s3:*"]
    (repo / "policies/blog/policy.json").write_text(json.dumps(doc, indent=2))
    span = parse_policy((repo / "policies/blog/policy.json").read_bytes(), "p").statements[1].span
    code, report = gate(capsys, "--changed", "policies/blog/policy.json")
    assert code == 1
    assert [(r["rule"], r["file"], r["line"], r["column"]) for r in report["results"]] == [
        ("VR-stale", "policies/blog/policy.json", span.line, span.column)]
