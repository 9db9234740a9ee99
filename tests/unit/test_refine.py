"""The refiner on hand-made cases: each rule of docs/DESIGN.md section 2, one at a time."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ROOT
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.findings import UnusedSet
from verify_refine.inputs.policy import parse_policy
from verify_refine.refine.refiner import DROPPED, KEPT, NARROWED, refine
from verify_refine.report.document import refined_document
from verify_refine.spec.glob import matches

S3 = ["GetObject", "GetObjectAcl", "GetObjectTagging", "GetBucketAcl", "GetBucketPolicy",
      "GetBucketPolicyStatus", "PutObject", "PutObjectAcl", "ListBucket", "DeleteObject"]
SMALL = Catalog("small", "test", None, {"s3": tuple(S3), "lambda": ("InvokeFunction",
                                                                   "GetFunction")})


def unused(*actions, services=()):
    return UnusedSet(tuple(actions), tuple(services), ())


def run(statements, unused_set, catalog=SMALL):
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return refine(parse_policy(text.encode(), "p.json"), catalog, unused_set)


def entries(result, i=0):
    r = result.statements[i]
    return None if r.entries is None else [e.text for e in r.entries]


def allow(*actions, key="Action"):
    return {"Effect": "Allow", key: list(actions), "Resource": "*"}


def test_worked_example_2024_exactly():
    cat = catalog_mod.load(str(ROOT / "examples/blog/catalog-2024-10-24.json"))
    policy = parse_policy((ROOT / "examples/blog/policy.json").read_bytes(), "policy.json")
    from verify_refine.inputs import findings
    un, warnings = findings.load(str(ROOT / "examples/blog/unused.json"), cat)
    result = refine(policy, cat, un)
    assert not warnings
    assert entries(result, 0) == ["lambda:Invoke*"]
    assert entries(result, 1) == [
        "s3:GetAccess*", "s3:GetAccountPublicAccessBlock", "s3:GetDataAccess",
        "s3:GetJobTagging", "s3:GetMulti*", "s3:GetObject*", "s3:GetStorage*", "s3:List*"]
    narrowed = result.statements[1].outcomes[0]
    assert narrowed.status == NARROWED and len(narrowed.removed) == 22
    for entry in result.statements[1].entries[:-1]:
        assert entry.origin == "s3:Get*" and entry.generated
        assert entry.witness in un.actions and matches(entry.parent[0], entry.witness)


def test_untouched_patterns_keep_their_text():
    result = run([allow("S3:listbucket", "s3:Put*")], unused("s3:GetObject"))
    assert entries(result) == ["S3:listbucket", "s3:Put*"]
    assert not result.statements[0].changed
    assert [o.status for o in result.statements[0].outcomes] == [KEPT, KEPT]


def test_unused_literal_is_dropped_case_insensitively():
    result = run([allow("s3:getobject", "s3:PutObject")], unused("s3:GetObject"))
    assert entries(result) == ["s3:PutObject"]
    assert result.statements[0].outcomes[0].status == DROPPED


def test_wildcard_narrowed_to_shortest_safe_prefixes():
    result = run([allow("s3:Get*")], unused("s3:GetBucketAcl"))
    # GetBucket is unsafe (GetBucketAcl); GetBucketPolicy covers two used actions.
    assert entries(result) == ["s3:GetBucketPolicy*", "s3:GetObject*"]
    for e in result.statements[0].entries:
        assert e.parent and matches(e.parent[0], e.witness)


def test_single_action_node_becomes_the_literal():
    result = run([allow("s3:Get*")], unused("s3:GetBucketAcl", "s3:GetBucketPolicyStatus"))
    assert "s3:GetBucketPolicy" in entries(result)  # not s3:GetBucketPolicy*


def test_used_action_at_an_unsafe_node_stays_literal():
    result = run([allow("s3:GetObject*")], unused("s3:GetObjectAcl"))
    assert entries(result) == ["s3:GetObject", "s3:GetObjectTagging"]


def test_mid_string_wildcard_stays_inside_the_original():
    result = run([allow("s3:*Object*")], unused("s3:GetObjectAcl"))
    out = entries(result)
    assert out == ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging", "s3:Put*Object*"]
    for probe in ["s3:PutBucket", "s3:PutX", "s3:GetObjectAcl"]:
        assert not any(matches(e, probe) for e in out)


def test_question_mark_is_kept_inside_the_original():
    result = run([allow("s3:Get?bject*")], unused("s3:GetObjectAcl"))
    assert entries(result) == ["s3:GetObject", "s3:GetObjectTagging"]


def test_star_alone_with_a_whole_unused_service():
    result = run([allow("*")], unused(services=("lambda",)))
    assert entries(result) == ["s3:*"]
    assert result.statements[0].outcomes[0].removed == ("lambda:*",)


def test_service_wildcard_of_an_unused_service_goes_with_its_statement():
    result = run([allow("lambda:*"), {"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}],
                 unused(services=("lambda",)))
    assert entries(result) is None
    assert entries(result, 1) == ["lambda:*"]  # Deny statements never change
    assert result.detach


def test_deny_statements_are_never_changed():
    result = run([{"Effect": "Deny", "Action": ["s3:Get*", "s3:GetObject"], "Resource": "*"}],
                 unused("s3:GetObject"))
    assert entries(result) == ["s3:Get*", "s3:GetObject"] and not result.statements[0].changed


def test_no_duplicate_or_subsumed_entries():
    result = run([allow("s3:GetObject", "s3:Get*", "s3:getobject*")], unused("s3:GetBucketAcl"))
    # s3:GetObject lies inside the generated s3:GetObject*, and s3:getobject* equals it.
    assert entries(result) == ["s3:GetBucketPolicy*", "s3:GetObject*"]


def test_statement_left_empty_is_removed_and_others_stay():
    result = run([allow("s3:GetObject"), allow("s3:PutObject")], unused("s3:GetObject"))
    assert entries(result, 0) is None and entries(result, 1) == ["s3:PutObject"]
    assert not result.detach
    doc = refined_document(result)
    assert [s["Action"] for s in doc["Statement"]] == [["s3:PutObject"]]


def test_not_action_gets_the_shortest_fully_unused_prefixes():
    result = run([allow("lambda:*", key="NotAction")],
                 unused("s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus",
                        "s3:PutObjectAcl"))
    assert entries(result) == ["lambda:*", "s3:GetBucket*", "s3:PutObjectAcl"]
    added = result.statements[0].added
    assert all(e.generated for e in added)
    assert added[0].witness == "s3:GetObject"  # s3:Get* would exclude this used action


def test_not_action_with_unknown_unused_name():
    result = run([allow("lambda:*", key="NotAction")], unused("s3:GetGhost"))
    assert entries(result) == ["lambda:*", "s3:GetGhost"]


def test_pattern_matching_nothing_known_is_kept_and_reported():
    result = run([allow("s3:GetGhost*", "s3:PutObject")], unused("s3:PutObjectAcl"))
    assert entries(result) == ["s3:GetGhost*", "s3:PutObject"]
    assert any('"s3:GetGhost*" matches no action' in w for w in result.warnings)


def test_unused_name_not_in_catalog_is_still_removed():
    result = run([allow("s3:GetGhost", "s3:PutObject")], unused("s3:GetGhost"))
    assert entries(result) == ["s3:PutObject"]


@pytest.mark.parametrize("pattern", ["s3:*", "*", "s3:*Object", "s3:Get*Acl", "?3:Get*"])
def test_every_output_lies_inside_its_origin(pattern):
    result = run([allow(pattern)], unused("s3:GetObjectAcl", "s3:ListBucket"))
    for e in result.statements[0].entries:
        for action in [f"s3:{n}" for n in S3]:
            if matches(e.text, action):
                assert matches(pattern, action)
                assert action not in ("s3:GetObjectAcl", "s3:ListBucket")


def test_no_piece_that_matches_no_catalog_action():
    """`s3:*Endpoint*` under `s3:Create` could also go on as `s3:Createndpoint*` (the e of
    Create read as the E of Endpoint): sound, but it covers no action, only future ones."""
    cat = Catalog("t", "t", None, {"s3": ("CreateEndpoint", "CreateEndpointConfig",
                                          "DeleteEndpoint")})
    result = run([allow("s3:*Endpoint*")], unused("s3:DeleteEndpoint"), cat)
    assert entries(result) == ["s3:Create*Endpoint*"]
