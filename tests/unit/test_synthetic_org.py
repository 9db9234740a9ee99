"""The synthetic organization: seeded, of the shape asked for, with findings that name only what
each role is granted (whole services it never touched, single actions of those it did)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import MANAGED, require
from verify_refine.errors import UsageError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.testing import org


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load(None)


def every_file(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_organization_and_another_does_not(tmp_path, cat):
    corpus = require(MANAGED)
    org.generate(corpus, tmp_path / "a", org.TINY, cat)
    org.generate(corpus, tmp_path / "b", org.TINY, cat)
    org.generate(corpus, tmp_path / "c", org.Shape(3, 4, seed=8, max_bytes=600,
                                                   max_actions=40), cat)
    assert every_file(tmp_path / "a") == every_file(tmp_path / "b")
    assert every_file(tmp_path / "a") != every_file(tmp_path / "c")


def test_roles_policies_and_findings_have_the_shape_asked_for(tmp_path, cat):
    corpus = require(MANAGED)
    counts = org.generate(corpus, tmp_path, org.TINY, cat)
    assert sorted(p.name for p in tmp_path.iterdir()) == [org.account_id(k) for k in range(3)]
    assert counts["principals"] == 12
    whole = single = 0
    for account in tmp_path.iterdir():
        auth = json.loads((account / org.AUTH).read_text())
        documents = {p["Arn"]: p["PolicyVersionList"][0]["Document"] for p in auth["Policies"]}
        assert len(auth["RoleDetailList"]) == 4
        for role in auth["RoleDetailList"]:
            assert role["Arn"] == f"arn:aws:iam::{account.name}:role/{role['RoleName']}"
            assert 1 <= len(role["AttachedManagedPolicies"]) <= 5
            assert 0 <= len(role["RolePolicyList"]) <= 2
            docs = [documents[a["PolicyArn"]] for a in role["AttachedManagedPolicies"]] + \
                [p["PolicyDocument"] for p in role["RolePolicyList"]]
            assert all(len(json.dumps(d, separators=(",", ":"))) <= 600 for d in docs)
            granted = set().union(*(org._grants(d, cat) for d in docs))
            path = account / org.FINDINGS / f"{role['RoleName']}.json"
            if not path.exists():
                continue
            finding = json.loads(path.read_text())
            assert finding["resource"] == role["Arn"] and finding["status"] == "ACTIVE"
            for detail in finding["findingDetails"]:
                unused = detail["unusedPermissionDetails"]
                service = unused["serviceNamespace"]
                assert any(a.startswith(service + ":") for a in granted)
                names = {f"{service}:{a['action']}" for a in unused.get("actions", [])}
                whole += not names
                single += bool(names)
                assert names <= granted
    assert whole and single  # both kinds occur


def test_perturbing_one_percent_changes_one_findings_file_at_least(tmp_path, cat):
    corpus = require(MANAGED)
    org.generate(corpus, tmp_path, org.TINY, cat)
    before = every_file(tmp_path)
    changed = org.perturb(tmp_path, 0.01, seed=3)
    after = every_file(tmp_path)
    assert len(changed) == 1
    assert {k for k in before if before[k] != after[k]} == \
        {p.relative_to(tmp_path).as_posix() for p in changed}


def test_an_absent_corpus_is_a_clear_message(tmp_path, cat):
    with pytest.raises(UsageError, match="the managed-policy corpus is absent"):
        org.generate(tmp_path / "nowhere", tmp_path / "out", org.TINY, cat)
