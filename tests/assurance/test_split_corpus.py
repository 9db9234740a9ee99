"""The corpus examples of issue 16: AWS managed policies whose refinement at 30% unused is far
over the managed-policy limit, refined, split into managed policies, proved, and re-checked."""

from __future__ import annotations

import json

import pytest

from tests.helpers import MANAGED, require, write_json
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.policy import parse_policy
from verify_refine.report.size import iam_size
from verify_refine.testing.corpus import draw_unused


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ReadOnlyAccess", "AdministratorAccess"])
def test_a_refined_managed_policy_split_proved_and_checked(cli, tmp_path, name):
    """Refined without its own proof (tested elsewhere, and slow for 12,000 entries): the
    split's proof is what is under test."""
    path = require(MANAGED) / f"{name}.json"
    policy = parse_policy(path.read_bytes(), str(path))
    unused = draw_unused(policy, catalog_mod.load(None), str(path), 0.3, 1)
    unused_file = write_json(tmp_path / "unused.json", list(unused.actions))
    refined = tmp_path / f"{name}.refined.json"
    code, _, err = cli("refine", path, "--unused", unused_file, "-o", refined, "--no-prove")
    assert code == 0, err
    size = iam_size(refined.read_text(encoding="utf-8"))
    assert size > 20 * 6144
    code, out, err = cli("split", refined, "--limit", "managed", "-o", tmp_path / "out")
    assert code == 0, err
    parts = sorted((tmp_path / "out").glob(f"{name}.refined-*.json"))
    fewest = -(-size // 6144)  # no split has fewer parts
    assert fewest <= len(parts) <= fewest + 2  # here within 2 of that bound
    assert out.startswith(f"proved: {refined} split into {len(parts)} managed policies")
    assert "even with its quota raised" in err
    assert all(iam_size(p.read_text(encoding="utf-8")) <= 6144 for p in parts)
    record = json.loads((tmp_path / "out" / f"{name}.refined.split.json").read_text())
    assert record["verdict"] == "proved" and len(record["parts"]) == len(parts)
    if name == "ReadOnlyAccess":  # (AdministratorAccess's would take as long again)
        code, out, err = cli("check", tmp_path / "out" / f"{name}.refined.split.json")
        assert code == 0 and ": valid: the split proved again" in out, err
