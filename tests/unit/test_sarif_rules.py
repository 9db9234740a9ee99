"""Every problem the provers, the kernel and the gate can raise has a SARIF rule to land on."""

from __future__ import annotations

import pytest

from verify_refine.report import sarif
from verify_refine.verdict import INPUTS, PROPERTIES, STRUCTURE, Problem, Verdict, rule_for

KINDS = [*PROPERTIES, STRUCTURE, INPUTS, "catalog", None]


@pytest.mark.parametrize("verdict", [Verdict.REFUTED, Verdict.UNKNOWN])
@pytest.mark.parametrize("prop", KINDS)
def test_every_rule_a_problem_can_get_is_declared(prop, verdict, tmp_path):
    rule = rule_for(prop, verdict)
    assert rule in sarif.RULE_IDS
    problem = Problem(rule, "why", prop, verdict, file=str(tmp_path / "x.cert.json"), line=3,
                      column=7)
    log = sarif.log([problem], exit_code=1, root=tmp_path)
    result = log["runs"][0]["results"][0]
    assert log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == rule
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3,
                                                                    "startColumn": 7}


def test_rule_ids_are_distinct():
    assert len(set(sarif.RULE_IDS)) == len(sarif.RULE_IDS)


def test_every_rule_has_its_code_scanning_fields():
    """A rule added to RULES without a severity, tags and fix in RULE_HELP fails here, not in a
    user's code scanning upload."""
    for rule in sarif.RULES:
        descriptor = sarif.sarif_rules.descriptor(rule)
        score = descriptor["properties"]["security-severity"]
        assert isinstance(score, str) and 0.0 < float(score) <= 10.0
        assert "security" in descriptor["properties"]["tags"]
        assert descriptor["helpUri"].endswith(f"/docs/GATE.md#{rule[0].lower()}")
        assert rule[4] in descriptor["help"]["text"] and descriptor["help"]["markdown"]
