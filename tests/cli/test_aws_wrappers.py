"""AWS's own formats in: policies as `aws iam get-policy-version` / `get-role-policy` print them
(the document an object or a URL-encoded string), and Access Analyzer's recommendations
(`get-finding-recommendation`), proved or refuted step by step, DETACH_POLICY included."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from tests.helpers import AWS_FIXTURES, BLOG, run
from verify_refine.errors import InputError, UsageError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs import policy as policy_doc
from verify_refine.inputs.recommendation import recommendation
from verify_refine.inputs.wrappers import load_policy, policy_document_bytes
from verify_refine.pipeline import verify_recommendation
from verify_refine.verdict import worst

POLICY, UNUSED, CATALOG = BLOG / "policy.json", BLOG / "unused.json", \
    BLOG / "catalog-2024-10-24.json"
WRAPPED = ["get-policy-version-encoded.json", "get-policy-version-object.json",
           "get-role-policy.json", "get-user-policy-encoded.json"]
BLOG_ARN = "arn:aws:iam::123456789012:policy/app-deployer-s3-lambda"
LAMBDA_ARN = "arn:aws:iam::123456789012:policy/lambda-deploy"


@pytest.fixture(scope="module")
def blog():
    cat = catalog_mod.load(str(CATALOG))
    unused, _ = findings.load(str(UNUSED), cat)
    return cat, unused, policy_doc.parse_policy(POLICY.read_bytes(), str(POLICY))


def verify(capsys, original, *more):
    return run(capsys, "verify", original, "--unused", UNUSED, "--catalog", CATALOG, *more)


def position(text: str, needle: str) -> tuple[int, int]:
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


# --- policy documents ----------------------------------------------------------------------------

def test_a_bare_document_is_passed_on_byte_for_byte():
    for path in (POLICY, AWS_FIXTURES / "lambda-deploy-policy.json"):
        assert policy_document_bytes(path.read_bytes(), str(path)) == path.read_bytes()


@pytest.mark.parametrize("name", WRAPPED)
def test_wrapped_documents_read_as_the_bare_one(blog, name):
    path = AWS_FIXTURES / name
    policy = load_policy(path.read_bytes(), str(path))
    assert dict(policy.members) == dict(blog[2].members)
    assert policy_doc.parse_policy(policy_document_bytes(path.read_bytes(), str(path)),
                              "x").members == policy.members
    key = "PolicyVersion.Document" if "version" in name else "PolicyDocument"
    assert policy.source == (f"{path} ({key}, URL-decoded)" if "encoded" in name else str(path))


def test_the_document_of_get_policy_version_is_url_encoded_as_iam_returns_it():
    doc = json.loads((AWS_FIXTURES / "get-policy-version-encoded.json").read_text())["PolicyVersion"]
    assert doc["Document"].startswith("%7B%0A%20%20%22Version%22%3A")
    assert doc["IsDefaultVersion"] is True and doc["VersionId"] == "v3"


def test_an_object_document_keeps_the_files_lines_and_columns(tmp_path):
    doc = json.loads(POLICY.read_text())
    doc["Statement"][1]["Effect"] = "Permit"
    text = json.dumps({"PolicyVersion": {"Document": doc, "VersionId": "v2",
                                         "IsDefaultVersion": True}}, indent=4)
    path = tmp_path / "version.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_policy(path.read_bytes(), str(path))
    line, column = position(text, '"Permit"')
    assert str(err.value) == f'{path}:{line}:{column}: Effect must be "Allow" or "Deny"'


def test_a_url_encoded_document_reports_positions_in_the_decoded_text(tmp_path):
    text = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "s3:Get*",},]}'
    path = tmp_path / "version.json"
    path.write_text(json.dumps({"PolicyVersion": {"Document": urllib.parse.quote(text)}}))
    with pytest.raises(InputError) as err:
        load_policy(path.read_bytes(), str(path))
    line, column = position(text, ',}')
    assert (line, str(err.value)) == (2, f"{path} (PolicyVersion.Document, URL-decoded):"
                                         f"{line}:{column}: trailing comma")


def test_a_document_held_as_plain_json_text_is_read_too(blog, tmp_path):
    path = tmp_path / "role-policy.json"
    path.write_text(json.dumps({"RoleName": "r", "PolicyName": "p",
                                "PolicyDocument": POLICY.read_text()}))
    policy = load_policy(path.read_bytes(), str(path))
    assert dict(policy.members) == dict(blog[2].members)
    assert policy.source == f"{path} (PolicyDocument)"


@pytest.mark.parametrize("text, message", [
    ('{"PolicyVersion": {"VersionId": "v1"}}', "1:19: PolicyVersion has no Document"),
    ('{"PolicyVersion": {"Document": 7}}', "1:32: PolicyVersion.Document must be a policy "
                                           "document (an object or a string)"),
    ('{"PolicyDocument": "%7B%FF%7D"}', "1:20: PolicyDocument: the URL-encoded document is "
                                        "not UTF-8"),
    ('{"PolicyVersion": {"Document": {},}}', "1:34: trailing comma"),
    ('{"Policy": {"PolicyName": "p", "DefaultVersionId": "v1"}}',
     "1:1: this is 'aws iam get-policy' output, which holds no document"),
])
def test_errors_in_the_wrapper_name_file_line_and_column(tmp_path, text, message):
    path = tmp_path / "wrapped.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_policy(path.read_bytes(), str(path))
    assert str(err.value).startswith(f"{path}:{message}")


def test_refine_and_verify_read_get_policy_version_output(capsys, tmp_path):
    wrapped = AWS_FIXTURES / "get-policy-version-encoded.json"
    code, bare, _ = run(capsys, "refine", POLICY, "--unused", UNUSED, "--catalog", CATALOG)
    assert code == 0
    code, out, _ = run(capsys, "refine", wrapped, "--unused", UNUSED, "--catalog", CATALOG)
    assert (code, out) == (0, bare)
    refined, cert = tmp_path / "refined.json", tmp_path / "refined.cert.json"
    inputs = []  # copied next to the certificate: the gate reads nothing outside its root
    for source in (AWS_FIXTURES / "get-policy-version-object.json", UNUSED, CATALOG):
        inputs.append(tmp_path / source.name)
        inputs[-1].write_bytes(source.read_bytes())
    code, _, _ = run(capsys, "refine", inputs[0], "--unused", inputs[1], "--catalog", inputs[2],
                     "-o", refined, "--certificate", cert)
    assert code == 0
    code, out, _ = run(capsys, "check", cert)
    assert code == 0 and "valid" in out
    code, out, err = run(capsys, "gate", tmp_path, "--root", tmp_path)  # names the wrapper file
    assert code == 0, out + err
    code, out, _ = verify(capsys, wrapped, AWS_FIXTURES / "get-role-policy.json")
    assert code == 1 and out.startswith("refuted: removes")  # unchanged: unused still allowed
    code, out, _ = verify(capsys, AWS_FIXTURES / "get-user-policy-encoded.json", refined)
    assert code == 0 and out.startswith("proved: sound, removes, complete")


# --- Access Analyzer recommendations -------------------------------------------------------------

def test_the_blog_recommendation_reads_as_aws_writes_it(blog):
    path = BLOG / "recommendation.json"
    rec = recommendation(path.read_bytes(), str(path))
    assert rec.resource_arn == "arn:aws:iam::123456789012:role/app-deployer"
    (step,) = rec.steps
    assert (step.action, step.policy_id) == ("CREATE_POLICY", BLOG_ARN)
    raw = json.loads(path.read_text())["recommendedSteps"][0]["unusedPermissionsRecommendedStep"]
    assert isinstance(raw["recommendedPolicy"], str) and step.document == \
        raw["recommendedPolicy"].encode()
    recommended = json.loads(step.document)
    expected = json.loads((BLOG / "expected-2024.json").read_text())
    # AWS's style: statements merged and reordered, actions lower-cased, compact JSON.
    actions = [a for s in recommended["Statement"] for a in s["Action"]]
    assert all(a == a.lower() for a in actions)
    assert sorted(actions) == sorted(a.lower() for s in expected["Statement"]
                                     for a in s["Action"])
    assert recommended["Statement"][0]["Action"][0].startswith("s3:")


def test_verify_proves_the_blog_recommendation(capsys, blog):
    code, out, _ = verify(capsys, POLICY, "--aws-recommendation",
                          BLOG / "recommendation.json")
    assert code == 0
    assert re.fullmatch(r"proved: recommendedSteps\[0\] CREATE_POLICY " + re.escape(BLOG_ARN)
                        + r": sound, removes, complete \(\d+ queries\); catalog .*\n", out)
    code, out, _ = verify(capsys, AWS_FIXTURES / "get-policy-version-encoded.json",
                          "--aws-recommendation", BLOG / "recommendation.json",
                          "--policy-id", "app-deployer-s3-lambda")
    assert code == 0 and out.startswith("proved:")


def test_verify_refutes_a_recommendation_that_keeps_an_unused_action(capsys, tmp_path):
    data = json.loads((BLOG / "recommendation.json").read_text())
    step = data["recommendedSteps"][0]["unusedPermissionsRecommendedStep"]
    step["recommendedPolicy"] = step["recommendedPolicy"].replace("s3:getmulti*", "s3:get*")
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(data))
    code, out, _ = verify(capsys, POLICY, "--aws-recommendation", path)
    assert code == 1
    assert out.startswith("refuted: recommendedSteps[0] CREATE_POLICY "
                          f"{BLOG_ARN}: removes: REFINED still allows the unused action s3:Get")


def test_detach_steps_are_proved_safe_or_refuted_with_a_used_action(capsys):
    rec = AWS_FIXTURES / "get-finding-recommendation-detach.json"
    code, out, _ = verify(capsys, AWS_FIXTURES / "lambda-deploy-policy.json", "--aws-recommendation",
                          rec, "--policy-id", LAMBDA_ARN)
    assert code == 0
    assert out.startswith(f"detach: safe: recommendedSteps[1] DETACH_POLICY {LAMBDA_ARN}: "
                          "ORIGINAL allows no used catalog action")
    code, out, _ = verify(capsys, POLICY, "--aws-recommendation", rec, "--policy-id",
                          "lambda-deploy")
    assert code == 1
    assert re.match(r"detach: unsafe: recommendedSteps\[1\] DETACH_POLICY .*: ORIGINAL allows "
                    r"(s3|lambda):\w+ on resource \"[^\"]+\", a used catalog action", out)
    code, out, _ = verify(capsys, POLICY, "--aws-recommendation", rec, "--policy-id", BLOG_ARN)
    assert code == 0 and out.startswith("proved: recommendedSteps[0] CREATE_POLICY")


def test_steps_for_several_policies_need_policy_id(capsys):
    rec = AWS_FIXTURES / "get-finding-recommendation-detach.json"
    code, _, err = verify(capsys, POLICY, "--aws-recommendation", rec)
    assert code == 2 and "choose its step with --policy-id" in err and LAMBDA_ARN in err
    code, _, err = verify(capsys, POLICY, "--aws-recommendation", rec, "--policy-id", "other")
    assert code == 2 and "--policy-id other: no step of the recommendation is about it" in err


def test_verify_recommendation_returns_one_result_per_step(blog):
    cat, unused, original = blog
    path = AWS_FIXTURES / "get-finding-recommendation-detach.json"
    rec = recommendation(path.read_bytes(), str(path))
    assert [s.action for s in rec.steps] == ["CREATE_POLICY", "DETACH_POLICY"]
    assert rec.steps[0].document.startswith(b'{"Version":"2012-10-17"')  # URL-decoded
    results = verify_recommendation(original, rec, unused, cat, policy_id=BLOG_ARN)
    assert [(r.step.index, r.status) for r in results] == [(0, "proved")]
    detach = verify_recommendation(original, rec, unused, cat, policy_id=LAMBDA_ARN)
    assert [(r.step.index, r.status, r.result.property) for r in detach] == \
        [(1, "refuted", "complete")]
    assert worst(r.status for r in results + detach).exit_code == 1
    with pytest.raises(UsageError):
        verify_recommendation(original, rec, unused, cat, policy_id=None)


def test_a_failed_recommendation_is_bad_input_with_its_status_and_error(capsys):
    path = AWS_FIXTURES / "get-finding-recommendation-failed.json"
    code, out, err = verify(capsys, POLICY, "--aws-recommendation", path)
    text = path.read_text()
    line, column = position(text, '"FAILED"')
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}:{line}:{column}: the recommendation has status FAILED "
                          "(SERVICE_ERROR: The recommendation could not be generated")


@pytest.mark.parametrize("change, message", [
    ({"status": "IN_PROGRESS"}, "the recommendation has status IN_PROGRESS; run 'aws "
                                "accessanalyzer get-finding-recommendation' again when it is "
                                "done"),
    ({"recommendationType": "Other"}, "recommendationType 'Other'"),
    ({"recommendedSteps": {}}, "recommendedSteps: expected a list"),
    ({"recommendedSteps": [{"unusedPermissionsRecommendedStep": {
        "recommendedAction": "CREATE_POLICY"}}]}, "a CREATE_POLICY step needs recommendedPolicy"),
    ({"recommendedSteps": [{"unusedPermissionsRecommendedStep": {
        "recommendedAction": "DELETE"}}]}, "recommendedAction: expected CREATE_POLICY or "
                                           "DETACH_POLICY"),
])
def test_recommendations_that_cannot_be_checked_are_bad_input(tmp_path, change, message):
    data = json.loads((BLOG / "recommendation.json").read_text())
    data.update(change)
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(InputError) as err:
        recommendation(path.read_bytes(), str(path))
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: .*{re.escape(message)}", str(err.value))


def test_not_a_recommendation_and_a_truncated_one(tmp_path):
    with pytest.raises(InputError, match="not 'aws accessanalyzer get-finding-recommendation'"):
        recommendation(POLICY.read_bytes(), str(POLICY))
    data = json.loads((BLOG / "recommendation.json").read_text())
    data["nextToken"] = "eyJ0b2tlbiI6IDJ9"
    rec = recommendation(json.dumps(data).encode(), "rec.json")
    assert len(rec.steps) == 1 and "nextToken is set" in rec.warnings[0]


def test_errors_in_the_recommended_policy_name_the_step(capsys, tmp_path):
    data = json.loads((BLOG / "recommendation.json").read_text())
    step = data["recommendedSteps"][0]["unusedPermissionsRecommendedStep"]
    step["recommendedPolicy"] = step["recommendedPolicy"].replace('"Allow"', '"Alow"', 1)
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(data))
    code, _, err = verify(capsys, POLICY, "--aws-recommendation", path)
    line, column = position(step["recommendedPolicy"], '"Alow"')
    assert code == 2
    assert err == (f"{path} (recommendedSteps[0].unusedPermissionsRecommendedStep."
                   f'recommendedPolicy):{line}:{column}: Effect must be "Allow" or "Deny"\n')


def test_refined_may_follow_the_options(capsys):
    code, out, _ = run(capsys, "verify", POLICY, "--unused", UNUSED, "--catalog", CATALOG,
                       BLOG / "expected-2024.json")
    assert code == 0 and out.startswith("proved: sound, removes, complete")
    code, _, err = run(capsys, "verify", POLICY, "--unused", UNUSED, "--catalog", CATALOG,
                       BLOG / "expected-2024.json", "extra.json")
    assert code == 2 and "unrecognized arguments: extra.json" in err


@pytest.mark.parametrize("argv, message", [
    (["verify", POLICY, "--unused", UNUSED], "give either REFINED or --aws-recommendation"),
    (["verify", POLICY, POLICY, "--unused", UNUSED, "--aws-recommendation",
      BLOG / "recommendation.json"], "give either REFINED or"),
    (["verify", POLICY, POLICY, "--unused", UNUSED, "--policy-id", BLOG_ARN],
     "--policy-id needs --aws-recommendation"),
])
def test_verify_takes_refined_or_a_recommendation(capsys, argv, message):
    code, out, err = run(capsys, *argv, "--catalog", CATALOG)
    assert (code, out) == (2, "") and message in err
