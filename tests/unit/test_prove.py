"""The prover: each property catches its own bug, and certificates fail when any part is tampered with."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.helpers import BLOG, ROOT
from verify_refine import certificate
from verify_refine.cli import main
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.policy import parse_policy
from verify_refine.jsonout import dumps
from verify_refine.prove import obligations, prover
from verify_refine.refine.hints import hints
from verify_refine.refine.refiner import refine
from verify_refine.report.document import refined_document

CATALOG = catalog_mod.load(str(BLOG / "catalog-2024-10-24.json"))
UNUSED, _ = findings.load(str(BLOG / "unused.json"), CATALOG)
ORIGINAL = parse_policy((BLOG / "policy.json").read_bytes(), "policy.json")


def refined_and_hints():
    ref = refine(ORIGINAL, CATALOG, UNUSED)
    return json.loads(dumps(refined_document(ref))), hints(ref)


def prove(doc, hint_data, unused=UNUSED):
    refined = parse_policy(json.dumps(doc).encode(), "refined.json", allow_empty=True)
    plan = obligations.plan(ORIGINAL, refined, unused, CATALOG, hint_data)
    return prover.run(plan, unused, CATALOG, 10.0)


def s3_actions(doc):
    return doc["Statement"][1]["Action"]


def test_worked_example_is_proved():
    doc, h = refined_and_hints()
    proof = prove(doc, h)
    assert proof.verdict == "proved"
    assert set(proof.by_property()) == {"sound", "complete", "minimal"}
    assert all(held == total for held, total in proof.by_property().values())


def _replace(doc, h, position, text, hint):
    s3_actions(doc)[position] = text
    h["statements"][1]["entries"][position] = hint


def test_removes_catches_an_unused_action_added():
    doc, h = refined_and_hints()
    s3_actions(doc).append("s3:GetBucketAcl")
    h["statements"][1]["entries"].append({"origin": 0, "node": "s3:GetBucketAcl",
                                          "unsafe": "s3:GetBucketAcl",
                                          "witness": "s3:GetBucketAcl"})
    proof = prove(doc, h)
    assert proof.verdict == "refuted"
    assert proof.failure.obligation.property == "removes"
    assert proof.failure.witness == {"x": "s3:getbucketacl"}


def test_removes_catches_s3_get_star_left_in_place():
    doc, h = refined_and_hints()
    doc["Statement"][1]["Action"] = ["s3:Get*", "s3:List*"]
    h["statements"][1]["entries"] = [{"origin": 0}, {"origin": 1}]
    proof = prove(doc, h)
    assert proof.verdict == "refuted" and proof.failure.obligation.property == "removes"
    assert proof.failure.witness["x"].startswith("s3:get")


def test_complete_catches_a_used_action_dropped():
    doc, h = refined_and_hints()
    i = s3_actions(doc).index("s3:GetObject*")
    del s3_actions(doc)[i]
    del h["statements"][1]["entries"][i]
    proof = prove(doc, h)
    assert proof.verdict == "refuted" and proof.failure.obligation.property == "complete"
    assert proof.failure.witness["x"].startswith("s3:getobject")


def test_sound_catches_a_wildcard_broader_than_the_original():
    doc, h = refined_and_hints()
    s3_actions(doc).append("s3:Put*")
    h["statements"][1]["entries"].append({"origin": 0, "node": "s3:Put", "unsafe": "s3:",
                                          "witness": "s3:GetBucketAcl"})
    proof = prove(doc, h)
    assert proof.verdict == "refuted"
    # the hint already fails (s3:Put is no token prefix inside s3:Get*), or the query does
    assert proof.problems or proof.failure.obligation.property == "sound"


def test_sound_query_catches_an_entry_that_drops_the_rest_of_its_origin():
    """`s3:*Object*` narrowed to `s3:Get*` (a node that exists): minimal sees that the entry is
    not what the node stands for, and, that check aside, the sound query refutes it."""
    original = parse_policy(json.dumps({"Statement": [
        {"Effect": "Allow", "Action": ["s3:*Object*"], "Resource": "*"}]}).encode(), "o.json")
    refined = parse_policy(json.dumps({"Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"}]}).encode(), "r.json")
    unused = findings.UnusedSet(("s3:PutObject",), (), ())
    h = {"statements": [{"original": 0, "refined": 0, "entries": [
        {"origin": 0, "node": "s3:Get", "unsafe": "s3:", "witness": "s3:PutObject"}]}]}
    plan = obligations.plan(original, refined, unused, CATALOG, h)
    assert [p.message for p in plan.problems] == [
        "statement 1: s3:Get*: entry does not stand at its node 's3:Get'"]
    plan.problems.clear()
    proof = prover.run(plan, unused, CATALOG, 10.0)
    assert proof.verdict == "refuted" and proof.failure.obligation.property == "sound"
    value = proof.failure.witness["x"]
    assert value.startswith("s3:get") and "object" not in value


def test_minimal_catches_a_wildcard_one_token_longer_than_needed():
    doc, h = refined_and_hints()
    i = s3_actions(doc).index("s3:GetMulti*")
    _replace(doc, h, i, "s3:GetMultiRegion*", {"origin": 0, "node": "s3:GetMultiRegion",
                                                "unsafe": "s3:GetMulti",
                                                "witness": "s3:GetBucketAcl"})
    proof = prove(doc, h)
    assert proof.verdict == "refuted" and proof.failure.obligation.property == "minimal"


def test_minimal_rejects_a_hint_that_skips_a_token():
    doc, h = refined_and_hints()
    i = s3_actions(doc).index("s3:GetMulti*")
    _replace(doc, h, i, "s3:GetMultiRegion*", {"origin": 0, "node": "s3:GetMultiRegion",
                                                "unsafe": "s3:Get",
                                                "witness": "s3:GetBucketAcl"})
    proof = prove(doc, h)
    assert proof.verdict == "refuted" and "token parent" in proof.problems[0].message
    assert proof.problems[0].property == "minimal"


def test_structure_catches_a_changed_resource_and_a_changed_deny():
    doc, h = refined_and_hints()
    doc["Statement"][0]["Resource"] = "*"
    proof = prove(doc, h)
    assert proof.verdict == "refuted" and "other than Action changed" in \
        proof.problems[0].message


# ------------------------------------------------------------------ certificates


@pytest.fixture()
def certified(tmp_path):
    for name in ("policy.json", "unused.json", "catalog-2024-10-24.json"):
        (tmp_path / name).write_bytes((BLOG / name).read_bytes())
    code = main(["refine", str(tmp_path / "policy.json"), "--unused",
                 str(tmp_path / "unused.json"), "--catalog",
                 str(tmp_path / "catalog-2024-10-24.json"), "-o",
                 str(tmp_path / "policy.refined.json"), "--certificate",
                 str(tmp_path / "policy.cert.json")])
    assert code == 0
    return tmp_path


def check(folder, *extra):
    return main(["check", str(folder / "policy.cert.json"), *extra])


def test_certificate_checks(certified, capsys):
    assert check(certified) == 0
    assert "valid" in capsys.readouterr().out
    cert = json.loads((certified / "policy.cert.json").read_text())
    assert cert["files"] == {"original": "policy.json", "unused": "unused.json",
                             "refined": "policy.refined.json"}
    for ob in cert["obligations"]:
        assert ob["smt2"].startswith("(set-logic") and ob["smt2"].endswith("(check-sat)\n")
        assert ob["obtained"] == ob["expected"]


def _edit_json(path: Path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=1))


@pytest.mark.parametrize("tamper, reason", [
    (lambda c: c["obligations"][0].__setitem__("smt2", c["obligations"][0]["smt2"]
                                               + " "), "differs"),
    (lambda c: c["obligations"][0].__setitem__("obtained", "sat"), "recorded answer"),
    (lambda c: c.__setitem__("verdict", "refuted"), "verdict"),
    (lambda c: c["sha256"].__setitem__("original", "0" * 64), "original file"),
    (lambda c: c["sha256"].__setitem__("refined", "0" * 64), "refined file"),
    (lambda c: c["sha256"].__setitem__("unused", "0" * 64), "unused file"),
    (lambda c: c["catalog"].__setitem__("slice_sha256", "0" * 64), "catalog slice"),
    (lambda c: c["hints"]["statements"][1]["entries"][0].__setitem__("unsafe", "s3:"),
     "token parent"),
    (lambda c: c["obligations"].pop(), "obligations"),
    (lambda c: next(o for o in c["obligations"] if o["property"] == "minimal")
     .__setitem__("expected", "unsat"), "differs"),
])
def test_tampered_certificate_fails(certified, capsys, tamper, reason):
    _edit_json(certified / "policy.cert.json", tamper)
    assert check(certified) == 1
    assert reason in capsys.readouterr().err


def test_stale_inputs_fail(certified, capsys):
    _edit_json(certified / "policy.refined.json",
               lambda d: d["Statement"][1]["Action"].append("s3:GetBucketAcl"))
    assert check(certified) == 1
    assert "refined file is not the one certified" in capsys.readouterr().err


def test_edited_findings_fail(certified, capsys):
    _edit_json(certified / "unused.json", lambda d: d[1]["actions"].pop())
    assert check(certified) == 1


def test_other_catalog_is_drift_not_a_failure(certified, capsys):
    """The certificate carries its catalog slice: a newer catalog leaves it valid, with a note."""
    other = ROOT / "tests" / "fixtures" / "catalog-2026-10-27-lambda-s3.json"
    assert check(certified, "--catalog", str(other)) == 0
    assert "note: the catalog changed since certification" in capsys.readouterr().err


def test_unreadable_certificates_are_bad_input(certified, capsys):
    path = certified / "policy.cert.json"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    assert check(certified) == 2
    assert "not a certificate" in capsys.readouterr().err
    path.write_text(text.replace(f'"version": {certificate.VERSION}', '"version": 99', 1))
    assert check(certified) == 2
    assert "version 99" in capsys.readouterr().err


def test_refine_refuses_to_write_an_unproved_result(tmp_path, capsys, monkeypatch):
    """If the refiner were wrong, nothing is written and the exit code is 1."""
    import verify_refine.refine.refiner as refiner

    def broken(policy, catalog, unused):
        ref = refine(policy, catalog, unused)
        bad = copy.deepcopy(ref)
        stmt = bad.statements[1]
        extra = stmt.entries[0].__class__("s3:GetBucketAcl", "s3:Get*", 0, True,
                                          ("s3:GetBucket*",), "s3:GetBucketAcl",
                                          "s3:GetBucketAcl", "s3:GetBucketAcl")
        object.__setattr__(stmt, "entries", stmt.entries + (extra,))
        return bad

    monkeypatch.setattr(refiner, "refine", broken)
    out = tmp_path / "out.json"
    code = main(["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
                 "--catalog", str(BLOG / "catalog-2024-10-24.json"), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "refuted: removes: statement 2" in err and "counterexample s3:GetBucketAcl" in err


def test_unknown_is_exit_3_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from verify_refine.prove import solver

    monkeypatch.setattr(prover, "solve", lambda text, timeout_s, name="z3": solver.Verdict(
        "unknown", {}, 0.0, "timeout"))
    out, cert = tmp_path / "out.json", tmp_path / "out.cert.json"
    code = main(["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
                 "--catalog", str(BLOG / "catalog-2024-10-24.json"), "-o", str(out),
                 "--certificate", str(cert)])
    err = capsys.readouterr().err
    assert code == 3 and not out.exists() and not cert.exists()
    assert "unknown: " in err and "obligation s" in err and "nothing written" in err


def test_no_prove_says_unproved(tmp_path, capsys):
    code = main(["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
                 "--catalog", str(BLOG / "catalog-2024-10-24.json"), "--no-prove"])
    captured = capsys.readouterr()
    assert code == 0 and "unproved: --no-prove" in captured.err
    assert json.loads(captured.out)["Statement"][1]["Action"][0] == "s3:GetAccess*"


def test_certificate_needs_an_output_file(capsys):
    code = main(["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
                 "--catalog", str(BLOG / "catalog-2024-10-24.json"), "--certificate", "x.json"])
    assert code == 2 and "--certificate needs -o" in capsys.readouterr().err
