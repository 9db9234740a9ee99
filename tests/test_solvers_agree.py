"""Two solvers agree on a handful of corpus policies: z3 and cvc5 give the same answer to every
obligation (the full run over all managed policies is benchmarks/solvers_agree.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("cvc5")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "aws-managed-policies"
SAMPLE = 5
# A policy whose obligations span many services and wildcards (the others are spread evenly).
WIDE = "AIOpsAssistantPolicy.json"


def _benchmark(name: str):
    """Load benchmarks/NAME.py (not a package) the way the script itself runs."""
    if name in sys.modules:
        return sys.modules[name]
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}: clone the project next to its shared/ folder")
    agree = _benchmark("solvers_agree")
    files = agree.corpus_files(CORPUS)
    assert len(files) >= 1500
    wide = [f for f in files if Path(f).name == WIDE]
    step = len(files) // SAMPLE
    spread = [files[i * step + step // 2] for i in range(SAMPLE - len(wide))]
    return agree, wide + spread


@pytest.fixture(scope="module")
def catalog():
    from verify_refine.inputs import catalog as catalog_mod

    return catalog_mod.load(None)


def test_z3_and_cvc5_agree_on_a_sample(sample, catalog, monkeypatch):
    agree, files = sample
    monkeypatch.setattr(agree.prove_corpus, "_CATALOG", catalog)
    summary = agree.run(files, fraction=0.3, seed=1, timeout=10.0, jobs=1)
    assert summary.policies == SAMPLE and not summary.crashed
    assert len(summary.rows) >= SAMPLE
    assert {r.property for r in summary.rows} == {"sound", "removes", "complete", "minimal"}
    assert summary.disagreements() == []
    assert summary.bad_witnesses() == []
    unknown = [r for r in summary.rows if "unknown" in (r.z3, r.cvc5)]
    assert unknown == [], unknown
    assert all(r.z3 == r.cvc5 == r.expected for r in summary.rows)
    assert summary.ok()


def test_a_disagreement_is_reported(sample):
    agree, _ = sample
    row = dict(policy="p.json", id="s0/sound/x", property="sound", expected="unsat", z3="unsat",
               z3_s=0.1, z3_holds=True, cvc5="sat", cvc5_s=0.2, cvc5_holds=False)
    s = agree.Summary(policies=1, rows=[agree.Row(**row),
                                        agree.Row(**{**row, "id": "s0/sound/y",
                                                     "cvc5": "unknown"})])
    assert [r.id for r in s.disagreements()] == ["s0/sound/x"]
    assert not s.ok()
    text = agree.report(s, _Args(), 1.0, "z3, cvc5")
    assert "- p.json `s0/sound/x`: z3 unsat, cvc5 sat" in text
    assert "| disagreements in all | 1 |" in text
    assert "| ... cvc5 unknown/timeout | 1 |" in text


class _Args:
    limit, fraction, seed, timeout, jobs, nice, slowest = None, 0.3, 1, 10.0, 1, False, 5
