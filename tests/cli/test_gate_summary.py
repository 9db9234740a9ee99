"""The gate's summary counts each policy once and right: a certificate that fails counts as
failed, its refined file not also as uncovered; the same counts in text, JSON and SARIF."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, run
from verify_refine.cli import main

EXAMPLES = {"blog": ROOT / "examples" / "blog" / "catalog-2024-10-24.json",
            "deployer": ROOT / "examples" / "deployer" / "catalog-2026-10-27.json"}


def certify_example(folder: Path, example: str = "blog") -> Path:
    """FOLDER holding an example's policy, unused set and catalog, refined and certified
    (x.refined.json, x.cert.json) by the real CLI; the certificate names them relatively."""
    catalog = EXAMPLES[example]
    folder.mkdir(parents=True)
    for part in ("policy.json", "unused.json"):
        shutil.copy(catalog.parent / part, folder / part)
    shutil.copy(catalog, folder / "catalog.json")
    code = main(["refine", str(folder / "policy.json"), "--unused", str(folder / "unused.json"),
                 "--catalog", str(folder / "catalog.json"), "-o", str(folder / "x.refined.json"),
                 "--certificate", str(folder / "x.cert.json")])
    assert code == 0
    return folder


def edit_refined(folder: Path) -> None:
    """The refined policy edited after certification (it still parses): the certificate fails."""
    path = folder / "x.refined.json"
    doc = json.loads(path.read_text())
    doc["Statement"][-1]["Action"].append("s3:GetBucketAcl")
    path.write_text(json.dumps(doc, indent=2) + "\n")


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> Path:
    """tree/valid (certified), tree/failing (certified, then its refined file edited) and
    tree/uncovered (a refined policy no certificate names)."""
    tree = tmp_path_factory.mktemp("three") / "tree"
    certify_example(tree / "valid")
    edit_refined(certify_example(tree / "failing"))
    (tree / "uncovered").mkdir()
    shutil.copy(tree / "valid" / "x.refined.json", tree / "uncovered" / "x.refined.json")
    return tree


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_failed_certificate_counts_as_failed_not_uncovered(three, capsys, monkeypatch, jobs):
    monkeypatch.chdir(three.parent)
    code, out, _ = run(capsys, "gate", "tree", "--jobs", jobs)
    assert code == 1
    assert out.splitlines()[-1] == ("2 certificates checked, 1 valid, 1 failed, "
                                    "3 required files, 1 uncovered")
    rules = sorted(line.split(": ")[2] for line in out.splitlines()[1:-1])
    assert rules == ["VR-missing-certificate", "VR-stale"]

    code, out, _ = run(capsys, "gate", "tree", "--jobs", jobs, "--format", "json")
    report = json.loads(out)
    summary = report["summary"]
    assert code == 1
    assert {k: summary[k] for k in ("certificates", "valid", "failed", "unknown", "required",
                                    "covered", "uncovered", "status")} == {
        "certificates": 2, "valid": 1, "failed": 1, "unknown": 0, "required": 3,
        "covered": 1, "uncovered": 1, "status": "fail"}
    assert {row["path"]: (row["covered_by"], row["named_by"]) for row in report["required"]} == {
        "tree/valid/x.refined.json": ("tree/valid/x.cert.json", ["tree/valid/x.cert.json"]),
        "tree/failing/x.refined.json": (None, ["tree/failing/x.cert.json"]),
        "tree/uncovered/x.refined.json": (None, [])}

    code, out, _ = run(capsys, "gate", "tree", "--jobs", jobs, "--format", "sarif")
    assert code == 1
    properties = json.loads(out)["runs"][0]["invocations"][0]["properties"]
    assert properties["summary"] == summary


def test_short_run_prints_no_progress(three, capsys, monkeypatch):
    monkeypatch.chdir(three.parent)
    code, out, err = run(capsys, "gate", "tree", "--format", "json")
    assert code == 1 and json.loads(out)["summary"]["certificates"] == 2
    assert "gate: checked" not in err  # well under 2 s: quiet
