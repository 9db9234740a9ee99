"""Two solvers agree on a handful of corpus policies: z3 and cvc5 give the same answer to every
obligation (the full run over all managed policies is benchmarks/solvers_agree.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import MANAGED, require
from verify_refine.testing import solvers_agree as agree
from verify_refine.testing.corpus import corpus_files

pytest.importorskip("cvc5")

SAMPLE = 5
# A policy whose obligations span many services and wildcards (the others are spread evenly).
WIDE = "AIOpsAssistantPolicy.json"


@pytest.fixture(scope="module")
def sample():
    files = corpus_files(require(MANAGED))
    assert len(files) >= 1500
    wide = [f for f in files if Path(f).name == WIDE]
    step = len(files) // SAMPLE
    spread = [files[i * step + step // 2] for i in range(SAMPLE - len(wide))]
    return wide + spread


def test_z3_and_cvc5_agree_on_a_sample(sample):
    summary = agree.run(sample, fraction=0.3, seed=1, timeout=10.0, jobs=1)
    assert summary.policies == SAMPLE and not summary.crashed
    assert len(summary.rows) >= SAMPLE
    assert {r.property for r in summary.rows} == {"sound", "removes", "complete", "minimal"}
    assert summary.disagreements() == []
    assert summary.bad_witnesses() == []
    unknown = [r for r in summary.rows if "unknown" in (r.z3, r.cvc5)]
    assert unknown == [], unknown
    assert all(r.z3 == r.cvc5 == r.expected for r in summary.rows)
    assert summary.ok()


def test_a_disagreement_is_reported():
    row = dict(policy="p.json", id="s0/sound/x", property="sound", expected="unsat", z3="unsat",
               z3_s=0.1, z3_holds=True, cvc5="sat", cvc5_s=0.2, cvc5_holds=False)
    s = agree.Summary(policies=1, rows=[agree.Row(**row),
                                        agree.Row(**{**row, "id": "s0/sound/y",
                                                     "cvc5": "unknown"})])
    assert [r.id for r in s.disagreements()] == ["s0/sound/x"]
    assert not s.ok()
    text = agree.report(s, _Args(), 1.0, "z3, cvc5", MANAGED)
    assert "- p.json `s0/sound/x`: z3 unsat, cvc5 sat" in text
    assert "| disagreements in all | 1 |" in text
    assert "| ... cvc5 unknown/timeout | 1 |" in text


class _Args:
    limit, fraction, seed, timeout, jobs, nice, slowest = None, 0.3, 1, 10.0, 1, False, 5
