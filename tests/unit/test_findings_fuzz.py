"""Every findings reader on mangled versions of its golden fixtures: a value anywhere replaced by
any JSON value gives the unused set or one line of bad input, never a crash."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, FIXTURES, replaced
from tests.helpers import json_paths as paths
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings

GOLDEN = [FIXTURES / "findings" / "get-finding-v2.json",
          FIXTURES / "findings" / "securityhub-get-findings-v2.json",
          AWS_FIXTURES / "access-advisor-service-level.json",
          AWS_FIXTURES / "list-findings-v2.json"]
SMALL_REPORT = json.loads((AWS_FIXTURES / "access-advisor-action-level.json").read_text())
for _service in SMALL_REPORT["ServicesLastAccessed"]:  # a few tracked actions are enough
    _service["TrackedActionsLastAccessed"] = _service.get("TrackedActionsLastAccessed", [])[:3]
VALUES = [json.loads(p.read_text()) for p in GOLDEN] + [SMALL_REPORT]
VALUES.append([VALUES[0], VALUES[0]])  # several findings in an array
JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**12) | st.text(max_size=8)
                    | st.sampled_from(["", "s3", "s3:*", "COMPLETED", "RESOLVED", "2024-01-01"]),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load(str(AWS_FIXTURES / "catalog-2026-10-27-iam-s3-sqs-sts.json"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_mangled_document_is_read_or_refused_in_one_line(cat, data):
    value = copy.deepcopy(data.draw(st.sampled_from(VALUES)))
    at = data.draw(st.sampled_from(list(paths(value))))
    value = replaced(value, at, data.draw(JSON))
    since = data.draw(st.none() | st.integers(1, 500))
    text = json.dumps(value).encode()
    try:
        unused, warnings = findings.from_bytes(text, "mangled.json", cat, since)
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith("mangled.json")
        return
    findings.require_something(unused, "mangled.json", True)
    assert all(isinstance(w, str) for w in warnings)


RECOMMENDATIONS = [json.loads(p.read_text()) for p in (
    FIXTURES.parent.parent / "examples" / "blog" / "recommendation.json",
    AWS_FIXTURES / "get-recommended-policy-v2.json",
    AWS_FIXTURES / "get-finding-recommendation-failed.json")]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_mangled_recommendation_is_read_or_refused_in_one_line(data):
    from verify_refine.inputs.recommendation import recommendation
    value = copy.deepcopy(data.draw(st.sampled_from(RECOMMENDATIONS)))
    at = data.draw(st.sampled_from(list(paths(value))))
    value = replaced(value, at, data.draw(JSON))
    try:
        rec = recommendation(json.dumps(value).encode(), "rec.json")
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith("rec.json")
        return
    assert rec.steps
