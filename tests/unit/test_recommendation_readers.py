"""Recommended policies as AWS prints them: Access Analyzer's get-finding-recommendation with
either recommendationType spelling, Security Hub's get-recommended-policy-v2, and every status
(only SUCCEEDED is read; IN_PROGRESS and FAILED are bad input showing AWS's own error)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG
from verify_refine.errors import InputError
from verify_refine.inputs.recommendation import (
    ACCESS_ANALYZER,
    KINDS,
    SECURITY_HUB,
    recommendation,
)

API_SPELLING = BLOG / "recommendation.json"
BLOG_SPELLING = AWS_FIXTURES / "get-finding-recommendation-blog-spelling.json"
SECURITY_HUB_FILE = AWS_FIXTURES / "get-recommended-policy-v2.json"
BLOG_ARN = "arn:aws:iam::123456789012:policy/app-deployer-s3-lambda"


def read(path):
    return recommendation(path.read_bytes(), str(path))


def write(tmp_path, value) -> str:
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(value, indent=2))
    return path


def position(text: str, needle: str) -> str:
    offset = text.index(needle)
    return f":{text.count(chr(10), 0, offset) + 1}:{offset - text.rfind(chr(10), 0, offset)}"


def test_both_spellings_read_alike():
    assert json.loads(BLOG_SPELLING.read_text())["recommendationType"] == KINDS[1]
    api, blog = read(API_SPELLING), read(BLOG_SPELLING)
    assert [(s.action, s.policy_id, s.document) for s in api.steps] == \
        [(s.action, s.policy_id, s.document) for s in blog.steps]
    assert api.date == blog.date == "2024-06-03T17:25:09+00:00"
    assert api.date_field == "completedAt"


def test_security_hub_recommended_policy_reads_as_the_same_step():
    hub, api = read(SECURITY_HUB_FILE), read(API_SPELLING)
    (step,) = hub.steps
    assert step.label == f"RecommendationSteps[0] CREATE_POLICY {BLOG_ARN}"
    assert step.document == api.steps[0].document
    assert hub.resource_arn == api.resource_arn and hub.date is None
    assert step.source.endswith("(RecommendationSteps[0].UnusedPermissions.RecommendedPolicy)")


def test_a_detach_step_of_security_hub(tmp_path):
    value = json.loads(SECURITY_HUB_FILE.read_text())
    value["RecommendationSteps"] = [{"UnusedPermissions": {
        "RecommendedAction": "DETACH_POLICY", "ExistingPolicyId": BLOG_ARN}}]
    (step,) = recommendation(write(tmp_path, value).read_bytes(), "rec.json").steps
    assert (step.action, step.document, step.policy_id) == ("DETACH_POLICY", None, BLOG_ARN)


@pytest.mark.parametrize("dialect, kind", [(ACCESS_ANALYZER, KINDS[0]),
                                           (ACCESS_ANALYZER, KINDS[1]),
                                           (SECURITY_HUB, KINDS[1])])
@pytest.mark.parametrize("status", ["IN_PROGRESS", "FAILED"])
def test_unfinished_recommendations_show_aws_error(tmp_path, dialect, kind, status):
    value = {dialect.kind: kind, dialect.status: status, dialect.arn: "arn:aws:iam::1:role/r",
             dialect.error: {dialect.code: "SERVICE_ERROR", dialect.message: "It broke."}}
    path = write(tmp_path, value)
    with pytest.raises(InputError) as caught:
        recommendation(path.read_bytes(), str(path))
    again = dialect.generate if status == "FAILED" else dialect.get
    assert str(caught.value) == (
        f"{path}{position(path.read_text(), f'{chr(34)}{status}{chr(34)}')}: the recommendation "
        f"has status {status} (SERVICE_ERROR: It broke.); "
        + (f"generate it again with '{again}'" if status == "FAILED"
           else f"run '{again}' again when it is done"))


def test_another_recommendation_type_is_refused_naming_both_spellings(tmp_path):
    path = write(tmp_path, {"recommendationType": "Other", "status": "SUCCEEDED"})
    with pytest.raises(InputError) as caught:
        recommendation(path.read_bytes(), str(path))
    assert str(caught.value).endswith("recommendationType 'Other': only "
                                      "UnusedPermissionRecommendation (or "
                                      "UNUSED_PERMISSION_RECOMMENDATION) is read")


def test_a_page_of_security_hub_steps_warns(tmp_path):
    value = json.loads(SECURITY_HUB_FILE.read_text())
    value["NextToken"] = "abc"
    rec = recommendation(write(tmp_path, value).read_bytes(), "rec.json")
    assert rec.warnings == ("rec.json: NextToken is set: this is one page of the "
                            "recommendation; steps on other pages are not checked (run "
                            "without --max-items)",)


@settings(max_examples=80, deadline=None)
@given(dialect=st.sampled_from([ACCESS_ANALYZER, SECURITY_HUB]),
       kind=st.sampled_from(KINDS), status=st.sampled_from(["IN_PROGRESS", "FAILED", "PENDING"]),
       code=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
       message=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
                       max_size=60))
def test_any_unfinished_recommendation_shows_aws_code_and_message(tmp_path_factory, dialect,
                                                                  kind, status, code, message):
    value = {dialect.kind: kind, dialect.status: status,
             dialect.error: {dialect.code: code, dialect.message: message}}
    path = write(tmp_path_factory.mktemp("rec"), value)
    with pytest.raises(InputError) as caught:
        recommendation(path.read_bytes(), str(path))
    text = str(caught.value)
    assert f"the recommendation has status {status} ({code}: {message})" in text
    assert "\n" not in text and text.startswith(f"{path}:")
