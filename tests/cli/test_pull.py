"""`verify-refine pull` through the real CLI against a mocked account (tests/aws_account.py):
the folder it writes is what `batch` and then `gate` accept; throttled calls are retried by
botocore; a principal that fails is reported while the rest go on; Ctrl-C keeps what finished."""

from __future__ import annotations

import copy
import json
import signal
import time

import boto3

from tests.aws_account import ACCOUNT_ID, ANALYZER, aws, create_account  # noqa: F401
from tests.helpers import AWS_FIXTURES, BLOG, BLOG_CATALOG, BLOG_POLICY, FIXTURES, files_under

ACCOUNT = AWS_FIXTURES / "account-small.json"
FOUND = AWS_FIXTURES / "findings-small"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role"
USER = f"arn:aws:iam::{ACCOUNT_ID}:user"
DEPLOYER, READER = f"{ROLE}/app-deployer", f"{ROLE}/service-role/data-reader"
IDLE, BOT = f"{ROLE}/batch-idle", f"{USER}/ci-bot"
METADATA = {"ResponseMetadata": {"RequestId": "7d1c", "HTTPStatusCode": 200, "HTTPHeaders": {},
                                 "RetryAttempts": 0}}  # what boto3 adds, the CLI never prints
JOB1, JOB2 = "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "6fa459ea-ee8a-4ca4-894e-db77e160355e"


def finding(name: str) -> dict:
    return json.loads((FOUND / name).read_text())


def ci_bot_finding() -> dict:
    """get-finding-v2 of ci-bot, with the actions of the committed name list."""
    names = [line.split(":") for line in (FOUND / "ci-bot.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    value = finding("finding-8a0d4b71.json")
    value.update(id="5d2c9f1e-7a3b-4c8d-9e0f-1a2b3c4d5e6f", resource=BOT,
                 resourceType="AWS::IAM::User")
    value["findingDetails"] = [{"unusedPermissionDetails": {
        "serviceNamespace": svc, "actions": [{"action": a} for s, a in names if s == svc]}}
        for svc in ("s3", "lambda")]
    return value


def analyzer_account(fake, findings: dict[str, list[dict]]) -> None:
    """moto's IAM holds the committed small account; Access Analyzer has one active
    unused-access analyzer whose findings are FINDINGS (ARN -> get-finding-v2 outputs),
    the first one's details on two pages."""
    create_account(ACCOUNT)
    summary = {"arn": ANALYZER, "name": "unused-access", "type": "ACCOUNT_UNUSED_ACCESS",
               "createdAt": "2024-05-01T00:00:00+00:00", "status": "ACTIVE"}
    fake.answer("accessanalyzer", "list_analyzers", {"analyzers": [summary]},
                {"type": "ACCOUNT_UNUSED_ACCESS"})
    fake.answer("accessanalyzer", "list_analyzers", {"analyzers": []},
                {"type": "ORGANIZATION_UNUSED_ACCESS"})
    first = True
    for arn in (DEPLOYER, READER, IDLE, BOT):
        items = findings.get(arn, [])
        keys = ("analyzedAt", "createdAt", "id", "resource", "resourceType",
                "resourceOwnerAccount", "status", "updatedAt", "findingType")
        fake.answer("accessanalyzer", "list_findings_v2",
                    {"findings": [{k: item[k] for k in keys} for item in items]},
                    {"analyzerArn": ANALYZER, "filter": {
                        "resource": {"eq": [arn]}, "findingType": {"eq": ["UnusedPermission"]},
                        "status": {"eq": ["ACTIVE"]}}})
        for item in items:
            params = {"analyzerArn": ANALYZER, "id": item["id"]}
            if first:  # AWS's pages: the details split, the rest repeated on each
                first, details = False, item["findingDetails"]
                fake.answer("accessanalyzer", "get_finding_v2",
                            {**item, "findingDetails": details[:1], "nextToken": "page-2"},
                            params)
                params = {**params, "nextToken": "page-2"}
                item = {**item, "findingDetails": details[1:]}
            fake.answer("accessanalyzer", "get_finding_v2", {**item, **METADATA}, params)


def usual(fake) -> None:
    analyzer_account(fake, {DEPLOYER: [finding("finding-3f1c2a9e.json")],
                            READER: [finding("finding-8a0d4b71.json")], BOT: [ci_bot_finding()]})


def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_pull_all_writes_a_folder_that_batch_and_gate_accept(aws, cli, tmp_path):  # noqa: F811
    usual(aws)
    out = tmp_path / "pulled"
    code, stdout, err = cli("pull", "--all", "-o", out)
    assert code == 0, err
    assert stdout == f"pull: 4 principals: 3 with data, 1 with none, 0 failed; wrote " \
                     f"{out}/manifest.json\n"
    assert files_under(out) == ["authorization-details.json", "findings", "findings/app-deployer"
                                ".json", "findings/ci-bot.json", "findings/data-reader.json",
                                "manifest.json"]
    # The finding's two pages are one get-finding-v2 output again, as the AWS CLI prints it.
    assert json.loads((out / "findings" / "app-deployer.json").read_text()) == \
        finding("finding-3f1c2a9e.json")
    facts = manifest(out)
    assert (facts["source"], facts["account"], facts["region"], facts["analyzer"]["arn"]) == \
        ("access-analyzer", ACCOUNT_ID, "us-east-1", ANALYZER)
    assert facts["totals"] == {"fetched": 3, "nothing unused": 1, "failed": 0,
                               "not fetched": 0}
    rows = {r["arn"]: r for r in facts["principals"]}
    assert rows[DEPLOYER]["calls"] == {"accessanalyzer:GetFindingV2": 2,
                                       "accessanalyzer:ListFindingsV2": 1}
    assert rows[IDLE]["status"] == "nothing unused" and rows[IDLE]["files"] == []
    calls = {(c["service"], c["operation"]): c["calls"] for c in facts["calls"]}
    assert calls[("accessanalyzer", "GetFindingV2")] == 4
    assert calls[("iam", "GetAccountAuthorizationDetails")] == 1
    refined, catalog = tmp_path / "refined", tmp_path / "catalog.json"
    catalog.write_bytes(BLOG_CATALOG.read_bytes())  # in the reviewed tree, as in a repository
    code, stdout, err = cli("batch", out / "authorization-details.json", "--findings",
                            out / "findings", "-o", refined, "--catalog", catalog, "--jobs", "2")
    assert code == 0, err
    # ci-bot's group policy (developers: dev-read) is the fifth, refined for ci-bot.
    assert stdout.startswith("batch: 5 policies: 4 proved, 1 detach,"), stdout
    assert (refined / "ci-bot" / "dev-read.cert.json").is_file()
    code, stdout, err = cli("gate", refined, "--root", tmp_path)
    assert code == 0, stdout + err
    assert "5 certificates checked, 5 valid" in stdout + err


def test_a_throttled_call_is_retried_by_botocore(aws, cli, tmp_path):  # noqa: F811
    usual(aws)
    aws.throttle("iam", "GetAccountAuthorizationDetails", times=1)
    out = tmp_path / "pulled"
    code, _, err = cli("pull", DEPLOYER, "-o", out)
    assert code == 0, err
    assert aws.sent == ["GetAccountAuthorizationDetails"] * 2  # throttled, then answered
    row = next(c for c in manifest(out)["calls"] if c["operation"] ==
               "GetAccountAuthorizationDetails")
    assert (row["calls"], row["retries"], row["errors"]) == (1, 1, 0)
    details = json.loads((out / "authorization-details.json").read_text())
    assert len(details["RoleDetailList"]) == 3 and "IsTruncated" not in details


def test_one_failing_principal_does_not_stop_the_rest(aws, cli, tmp_path):  # noqa: F811
    analyzer_account(aws, {DEPLOYER: [finding("finding-3f1c2a9e.json")],
                           READER: [finding("finding-8a0d4b71.json")]})
    aws.answers["accessanalyzer"].insert(0, ("error", "list_findings_v2", (
        "AccessDeniedException", "not authorized to list findings of ci-bot", 403), {
        "analyzerArn": ANALYZER, "filter": {"resource": {"eq": [BOT]}, "findingType": {
            "eq": ["UnusedPermission"]}, "status": {"eq": ["ACTIVE"]}}}))
    out = tmp_path / "pulled"
    code, stdout, err = cli("pull", "--all", "-o", out, "--concurrency", "2")
    assert code == 1, err
    assert "1 failed" in stdout
    assert "pull: failed: user ci-bot: ListFindingsV2: AccessDeniedException: not authorized " \
           "to list findings of ci-bot" in err
    row = next(r for r in manifest(out)["principals"] if r["arn"] == BOT)
    assert row["status"] == "failed" and "AccessDeniedException" in row["error"]
    assert sorted(p.name for p in (out / "findings").iterdir()) == ["app-deployer.json",
                                                                     "data-reader.json"]
    code, _, err = cli("batch", out / "authorization-details.json", "--findings",
                       out / "findings", "-o", tmp_path / "refined", "--catalog", BLOG_CATALOG)
    assert code == 0, err


def test_ctrl_c_keeps_the_principals_that_finished(aws, cli, tmp_path):  # noqa: F811
    usual(aws)
    out = tmp_path / "pulled"

    def interrupt(params):
        if params["filter"]["resource"]["eq"] == [READER]:
            deadline = time.monotonic() + 10
            while not (out / "findings" / "app-deployer.json").exists() \
                    and time.monotonic() < deadline:
                time.sleep(0.02)
            signal.raise_signal(signal.SIGINT)  # as Ctrl-C: the main thread is interrupted
            time.sleep(0.3)
    aws.on("accessanalyzer", "ListFindingsV2", interrupt)
    code, stdout, err = cli("pull", "--all", "-o", out, "--concurrency", "1")
    assert (code, stdout, err.splitlines()[-1]) == (130, "", "interrupted")
    assert (out / "findings" / "app-deployer.json").exists()
    assert not (out / "findings" / "data-reader.json").exists()
    facts = manifest(out)
    assert facts["interrupted"] is True
    assert [r["status"] for r in facts["principals"]] == \
        ["fetched", "not fetched", "not fetched", "not fetched"]


def test_recommendations_are_polled_until_done_and_every_page_kept(aws, cli, tmp_path):  # noqa: F811
    usual(aws)
    item = finding("finding-3f1c2a9e.json")
    params = {"analyzerArn": ANALYZER, "id": item["id"]}
    blog = json.loads((BLOG / "recommendation.json").read_text())
    aws.answer("accessanalyzer", "generate_finding_recommendation", {}, params)
    running = {k: blog[k] for k in ("startedAt", "resourceArn", "recommendationType")}
    aws.answer("accessanalyzer", "get_finding_recommendation",
               {**running, "status": "IN_PROGRESS"}, params)
    steps = blog["recommendedSteps"]
    aws.answer("accessanalyzer", "get_finding_recommendation",
               {**blog, "recommendedSteps": steps[:1], "nextToken": "n"}, params)
    aws.answer("accessanalyzer", "get_finding_recommendation",
               {**blog, "recommendedSteps": steps[1:]}, {**params, "nextToken": "n"})
    out = tmp_path / "pulled"
    code, _, err = cli("pull", DEPLOYER, "-o", out, "--recommendations")
    assert code == 0, err
    written = out / "recommendations" / "app-deployer.1.json"
    assert json.loads(written.read_text()) == blog
    assert manifest(out)["principals"][0]["counts"] == {"findings": 1, "recommendations": 1}
    code, stdout, err = cli("verify", BLOG_POLICY, "--aws-recommendation", written, "--unused",
                            out / "findings" / "app-deployer.json", "--catalog", BLOG_CATALOG)
    assert (code, err) == (0, "") and stdout.startswith("proved: recommendedSteps[0]")


def test_a_failed_recommendation_is_a_warning_and_the_findings_stay(aws, cli, tmp_path):  # noqa: F811
    usual(aws)
    params = {"analyzerArn": ANALYZER, "id": finding("finding-3f1c2a9e.json")["id"]}
    failed = json.loads((AWS_FIXTURES / "get-finding-recommendation-failed.json").read_text())
    aws.answer("accessanalyzer", "generate_finding_recommendation", {}, params)
    aws.answer("accessanalyzer", "get_finding_recommendation", failed, params)
    out = tmp_path / "pulled"
    code, _, err = cli("pull", DEPLOYER, "-o", out, "--recommendations")
    assert code == 0, err
    assert f"warning: role app-deployer: the recommendation for finding {params['id']} has " \
           f"status FAILED ({failed['error']['code']}: {failed['error']['message']})" in err
    assert files_under(out / "findings") == ["app-deployer.json"]
    assert not (out / "recommendations").exists()


def test_a_report_still_running_after_wait_fails_its_principal(aws, cli, tmp_path):  # noqa: F811
    deployer = advisor_role()
    aws.answer("iam", "generate_service_last_accessed_details", {"JobId": JOB1},
               {"Arn": deployer, "Granularity": "ACTION_LEVEL"})
    running = {"JobStatus": "IN_PROGRESS", "JobCreationDate": "2024-06-03T17:00:00+00:00",
               "ServicesLastAccessed": [], "JobCompletionDate": "2024-06-03T17:00:00+00:00"}
    for _ in range(3):
        aws.answer("iam", "get_service_last_accessed_details", running, {"JobId": JOB1})
    out = tmp_path / "pulled"
    code, _, err = cli("pull", deployer, "--source", "access-advisor", "-o", out, "--wait", "1")
    assert code == 1
    assert f"role deployer: the Access Advisor report (job {JOB1}) was still IN_PROGRESS " \
           "after 1 s (give a longer --wait)" in err
    assert not (out / "findings").exists()


def advisor_role(name: str = "deployer", user: bool = False) -> str:
    """A role (and a user, with USER) with s3:*, iam:*, sqs:* and sts:AssumeRole, in moto."""
    iam = boto3.session.Session().client("iam")
    document = (AWS_FIXTURES / "deployer-s3-iam-policy.json").read_text()
    iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    iam.put_role_policy(RoleName=name, PolicyName="deploy", PolicyDocument=document)
    if user:
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="deploy", PolicyDocument=document)
    return f"{ROLE}/{name}"


def access_advisor_pages() -> list[dict]:
    """The committed ACTION_LEVEL report, on two pages."""
    report = json.loads((AWS_FIXTURES / "access-advisor-action-level.json").read_text())
    services = report["ServicesLastAccessed"]
    head = {k: v for k, v in report.items() if k not in ("ServicesLastAccessed", "IsTruncated",
                                                          "Marker")}
    return [{**head, "ServicesLastAccessed": services[:2], "IsTruncated": True, "Marker": "m"},
            {**head, "ServicesLastAccessed": services[2:], "IsTruncated": False}]


def test_access_advisor_report_is_generated_polled_and_read_by_batch(aws, cli, tmp_path):  # noqa: F811
    deployer = advisor_role()
    advisor_role("shared", user=True)
    pages = access_advisor_pages()
    aws.answer("iam", "generate_service_last_accessed_details", {"JobId": JOB2},
               {"Arn": deployer, "Granularity": "ACTION_LEVEL"})
    aws.answer("iam", "get_service_last_accessed_details",
               {**pages[0], "JobStatus": "IN_PROGRESS", "ServicesLastAccessed": []},
               {"JobId": JOB2})
    aws.answer("iam", "get_service_last_accessed_details", pages[0], {"JobId": JOB2})
    aws.answer("iam", "get_service_last_accessed_details", {**pages[1], **METADATA},
               {"JobId": JOB2, "Marker": "m"})
    out = tmp_path / "pulled"
    code, stdout, err = cli("pull", "--all", "--source", "access-advisor", "-o", out)
    assert code == 1 and "1 with data, 0 with none, 2 failed" in stdout, err
    assert "pull: failed: role shared: batch matches Access Advisor reports by file name, and " \
           "`shared` cannot be one here (a role and a user have this name); use --source " \
           "access-analyzer" in err
    assert json.loads((out / "findings" / "deployer.json").read_text()) == pages
    row = next(r for r in manifest(out)["principals"] if r["name"] == "deployer")
    assert row["counts"] == {"services": 4, "pages": 2}
    code, stdout, err = cli("batch", out / "authorization-details.json", "--findings",
                            out / "findings", "-o", tmp_path / "refined", "--catalog",
                            AWS_FIXTURES / "catalog-2026-10-27-iam-s3-sqs-sts.json")
    assert code == 0, err
    assert stdout.startswith("batch: 1 policies: 1 proved"), stdout
    refined = json.loads((tmp_path / "refined" / "deployer" / "deploy.refined.json").read_text())
    assert "iam:PassRole" in json.dumps(refined)  # not tracked by Access Advisor, so kept
    assert "sqs:" not in json.dumps(refined)  # sqs unused for the whole period


def test_security_hub_findings_and_recommended_policies(aws, cli, tmp_path):  # noqa: F811
    create_account(ACCOUNT)
    hub = json.loads((FIXTURES / "findings" / "securityhub-get-findings-v2.json").read_text())
    mine = hub["Findings"][0]
    closed = {**copy.deepcopy(mine), "status": "Resolved"}
    other = copy.deepcopy(mine)
    other["finding_info"]["types"] = ["Software and Configuration Checks/External Access"]
    on = {"Filters": {"CompositeFilters": [{"StringFilters": [{"FieldName": "resources.uid",
          "Filter": {"Value": DEPLOYER, "Comparison": "EQUALS"}}]}]}}
    aws.answer("securityhub", "get_findings_v2", {"Findings": [mine, closed], "NextToken": "t"},
               on)
    aws.answer("securityhub", "get_findings_v2", {"Findings": [other]}, {**on, "NextToken": "t"})
    uid = {"MetadataUid": mine["metadata"]["uid"]}
    policy = json.loads((AWS_FIXTURES / "get-recommended-policy-v2.json").read_text())
    aws.answer("securityhub", "generate_recommended_policy_v2", {}, uid)
    aws.answer("securityhub", "get_recommended_policy_v2", {"Status": "IN_PROGRESS"}, uid)
    aws.answer("securityhub", "get_recommended_policy_v2", policy, uid)
    out = tmp_path / "pulled"
    code, _, err = cli("pull", DEPLOYER, "--source", "securityhub", "--recommendations",
                       "-o", out)
    assert code == 0, err
    assert json.loads((out / "findings" / "app-deployer.json").read_text()) == \
        {"Findings": [mine]}  # the closed one and the other type are left out
    assert json.loads((out / "recommendations" / "app-deployer.1.json").read_text()) == policy
    code, stdout, err = cli("batch", out / "authorization-details.json", "--findings",
                            out / "findings", "-o", tmp_path / "refined", "--catalog",
                            BLOG_CATALOG)
    assert code == 0, err
    assert stdout.startswith("batch: 2 policies: 1 proved, 1 detach"), stdout
