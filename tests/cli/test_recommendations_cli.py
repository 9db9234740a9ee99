"""`verify --aws-recommendation` on every recommendation AWS prints: the blog post's in both
recommendationType spellings and Security Hub's get-recommended-policy-v2 (told apart by shape)
prove; unfinished ones are one line of bad input with AWS's own error, exit 2."""

from __future__ import annotations

import json

import pytest

from tests.helpers import AWS_FIXTURES, BLOG, BLOG_CATALOG, BLOG_POLICY, BLOG_UNUSED

BLOG_ARN = "arn:aws:iam::123456789012:policy/app-deployer-s3-lambda"
PROVED = [(BLOG / "recommendation.json", "recommendedSteps"),
          (AWS_FIXTURES / "get-finding-recommendation-blog-spelling.json", "recommendedSteps"),
          (AWS_FIXTURES / "get-recommended-policy-v2.json", "RecommendationSteps")]


def verify(cli, recommendation):
    return cli("verify", BLOG_POLICY, "--aws-recommendation", recommendation, "--unused",
               BLOG_UNUSED, "--catalog", BLOG_CATALOG)


def at(path, needle: str) -> str:
    text = path.read_text()
    offset = text.index(needle)
    return f"{path}:{text.count(chr(10), 0, offset) + 1}:{offset - text.rfind(chr(10), 0, offset)}"


@pytest.mark.parametrize("path, steps", PROVED, ids=lambda v: getattr(v, "name", v))
def test_the_blog_recommendation_proves_in_every_spelling(cli, path, steps):
    code, out, err = verify(cli, path)
    assert (code, err) == (0, "")
    assert out.startswith(f"proved: {steps}[0] CREATE_POLICY {BLOG_ARN}: sound, removes, "
                          "complete")


@pytest.mark.parametrize("path, status, detail", [
    (AWS_FIXTURES / "get-finding-recommendation-failed.json", "FAILED",
     " (SERVICE_ERROR: The recommendation could not be generated: the policy changed after the "
     "finding was analyzed.); generate it again with 'aws accessanalyzer "
     "generate-finding-recommendation'"),
    (AWS_FIXTURES / "get-finding-recommendation-in-progress.json", "IN_PROGRESS",
     "; run 'aws accessanalyzer get-finding-recommendation' again when it is done"),
    (AWS_FIXTURES / "get-recommended-policy-v2-failed.json", "FAILED",
     " (INTERNAL_ERROR: The recommended policy could not be generated for this finding.); "
     "generate it again with 'aws securityhub generate-recommended-policy-v2'"),
], ids=lambda v: getattr(v, "name", None))
def test_an_unfinished_recommendation_is_one_line_with_aws_error(cli, path, status, detail):
    code, out, err = verify(cli, path)
    assert (code, out) == (2, "")
    assert err == f"{at(path, chr(34) + status + chr(34))}: the recommendation has status " \
                  f"{status}{detail}\n"


@pytest.mark.parametrize("spelling", ["UnusedPermissionRecommendation",
                                      "UNUSED_PERMISSION_RECOMMENDATION"])
@pytest.mark.parametrize("status", ["SUCCEEDED", "IN_PROGRESS", "FAILED"])
def test_every_spelling_and_status_through_the_cli(cli, tmp_path, spelling, status):
    value = json.loads((BLOG / "recommendation.json").read_text())
    value.update(recommendationType=spelling, status=status)
    if status == "FAILED":
        value["error"] = {"code": "ACCESS_DENIED", "message": "No access to the policy."}
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(value, indent=2))
    code, out, err = verify(cli, path)
    if status == "SUCCEEDED":
        assert code == 0 and out.startswith("proved: ")
    else:
        assert (code, out) == (2, "") and err.count("\n") == 1
        assert err.startswith(f"{at(path, chr(34) + status + chr(34))}: the recommendation has "
                              f"status {status}")
        assert ("(ACCESS_DENIED: No access to the policy.)" in err) == (status == "FAILED")
        assert "Traceback" not in err
