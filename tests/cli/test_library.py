"""The README's "Library use" examples, run exactly as written (from the repository's root),
and the public surface they rely on."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

import verify_refine
from tests.helpers import ROOT


def library_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Library use", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def run_example(code: str, monkeypatch) -> str:
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    return out.getvalue()


def test_there_are_three_examples():
    assert len(library_examples()) == 3


def test_refine_a_policy_given_as_a_dict(monkeypatch):
    out = run_example(library_examples()[0], monkeypatch)
    refined = verify_refine.load_policy(out.encode())
    entries = [p.text for p in refined.statements[0].patterns]
    assert "s3:GetAccess*" in entries and "s3:List*" in entries
    assert "s3:Get*" not in entries and "s3:GetBucketAcl" not in entries


def test_recheck_a_certificate(monkeypatch):
    assert run_example(library_examples()[1], monkeypatch).split() == ["proved", "5", "[]"]


def test_prove_access_analyzers_recommendation(monkeypatch):
    out = run_example(library_examples()[2], monkeypatch)
    assert out.startswith("recommendedSteps[0] CREATE_POLICY ") and " proved " in out


def test_the_surface_is_what_all_says():
    for name in verify_refine.__all__:
        assert hasattr(verify_refine, name), name
    assert {"refine_and_prove", "check_certificate", "verify", "load_policy", "load_findings",
            "load_catalog"} <= set(verify_refine.__all__)


def test_a_refinement_that_is_not_proved_has_no_certificate(monkeypatch):
    """A refiner bug (injected: a used action dropped) is refuted, and no certificate exists."""
    import dataclasses

    from verify_refine.refine import refiner

    real = refiner.refine

    def drops_a_used_action(policy, catalog, unused):
        result = real(policy, catalog, unused)
        stmt = result.statements[0]
        return dataclasses.replace(result, statements=(
            dataclasses.replace(stmt, entries=stmt.entries[1:], changed=True),))

    monkeypatch.setattr(refiner, "refine", drops_a_used_action)
    catalog = verify_refine.load_catalog(ROOT / "examples" / "blog" / "catalog-2024-10-24.json")
    result = verify_refine.refine_and_prove(
        verify_refine.load_policy({"Statement": [{"Effect": "Allow", "Action": [
            "s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": "*"}]}),
        verify_refine.load_findings(["s3:PutObject"], catalog), catalog)
    assert not result.proved and result.verdict is verify_refine.Verdict.REFUTED
    assert {p.property for p in result.problems} == {"complete"}
    with pytest.raises(ValueError):
        result.certificate(cert_path="c", original_path="o", unused_path="u",
                           refined_path="r", catalog_path=None)


def test_bad_input_is_one_line_with_its_position():
    with pytest.raises(verify_refine.InputError) as caught:
        verify_refine.load_policy(b'{"Statement": [{"Effect": "Allow", "Action": "s3 Get"}]}',
                                  name="p.json")
    assert str(caught.value).startswith("p.json:1:")
