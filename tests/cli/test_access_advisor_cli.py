"""IAM Access Advisor reports through the real CLI: the issue's "done when" (an ACTION_LEVEL
report for a role with s3:* and iam:* keeps the untracked S3 data actions and iam:PassRole,
says why, and proves), SERVICE_LEVEL, unfinished jobs as one-line bad input, and generated
reports whose refinements keep everything the report cannot see (and the built-in keep list)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import keep_list
from verify_refine.spec.glob import matches

CATALOG = AWS_FIXTURES / "catalog-2026-10-27-iam-s3-sqs-sts.json"
POLICY = AWS_FIXTURES / "deployer-s3-iam-policy.json"
ACTION_LEVEL = AWS_FIXTURES / "access-advisor-action-level.json"
SERVICE_LEVEL = AWS_FIXTURES / "access-advisor-service-level.json"


def allowed(document: dict, action: str) -> bool:
    """Does an Allow statement's Action list admit the action (the reference matcher)?"""
    return any(matches(p, action) for s in document["Statement"] if s["Effect"] == "Allow"
               for p in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))


def tracked(report: dict) -> dict[str, bool]:
    """Every tracked action of the report: whether it was accessed."""
    return {f"{s['ServiceNamespace']}:{t['ActionName']}": "LastAccessedTime" in t
            for s in report["ServicesLastAccessed"]
            for t in s.get("TrackedActionsLastAccessed", [])}


def test_done_when_untracked_s3_data_actions_and_pass_role_are_kept_and_proved(cli, tmp_path):
    out, cert = tmp_path / "refined.json", tmp_path / "refined.cert.json"
    code, stdout, err = cli("refine", POLICY, "--unused", ACTION_LEVEL, "--catalog", CATALOG,
                            "-o", out, "--certificate", cert)
    assert code == 0, err
    refined = json.loads(out.read_text())
    cat = json.loads(CATALOG.read_text())
    seen = tracked(json.loads(ACTION_LEVEL.read_text()))
    untracked_s3 = [f"s3:{n}" for n in cat["s3"] if f"s3:{n}" not in seen]
    assert "s3:GetObject" in untracked_s3 and "s3:PutObject" in untracked_s3
    assert all(allowed(refined, a) for a in untracked_s3 + ["iam:PassRole", "sts:AssumeRole"])
    assert all(allowed(refined, a) == used for a, used in seen.items())
    assert not any(allowed(refined, f"sqs:{n}") for n in cat["sqs"])  # never authenticated to
    lines = err.splitlines()
    assert "usage data: IAM Access Advisor report (ACTION_LEVEL) of 2026-11-20T07:59:14.031000" \
           "+00:00 (JobCompletionDate); it covers the last 400 days" in err
    why = next(line for line in lines if line.startswith("not tracked by Access Advisor"))
    assert why.startswith("not tracked by Access Advisor (its action-level data covers "
                          "management actions only), kept: iam:PassRole, s3:AbortMultipartUpload")
    assert "used in the tracking period, and the report has no action-level data for it, " \
           "kept: sts:*\n" in err
    assert lines[-1].startswith("proved: sound") or "proved: sound" in err
    assert "Traceback" not in err
    code, stdout, err = cli("check", cert)
    assert code == 0, err


def test_the_json_result_lists_every_kept_action_with_its_reason(cli):
    code, stdout, err = cli("refine", POLICY, "--unused", ACTION_LEVEL, "--catalog", CATALOG,
                            "--format", "json")
    assert code == 0, err
    usage = json.loads(stdout)["usage"]
    kept = {k["name"]: k["reason"] for k in usage["kept"]}
    assert kept["iam:PassRole"].startswith("not tracked by Access Advisor")
    assert usage["window"] == {"source": "IAM Access Advisor report (ACTION_LEVEL)",
                               "date": "2026-11-20T07:59:14.031000+00:00",
                               "field": "JobCompletionDate",
                               "period": usage["window"]["period"]}


def test_service_level_removes_only_the_services_never_used(cli, tmp_path):
    out = tmp_path / "refined.json"
    code, _, err = cli("refine", POLICY, "--unused", SERVICE_LEVEL, "--catalog", CATALOG,
                       "-o", out)
    assert code == 0, err
    refined = json.loads(out.read_text())
    assert refined["Statement"][0]["Action"] == ["s3:*", "iam:*"]
    assert refined["Statement"][1]["Action"] == ["sts:AssumeRole"]
    assert "used in the tracking period (SERVICE_LEVEL data names no action), kept: iam:*, " \
           "s3:*, sts:*\n" in err


@pytest.mark.parametrize("name, status, detail", [
    ("access-advisor-failed.json", "FAILED", " (NoSuchEntity: The report could not be "
     "generated because the role was deleted.); generate it again with 'aws iam "
     "generate-service-last-accessed-details'"),
    ("access-advisor-in-progress.json", "IN_PROGRESS", "; run 'aws iam "
     "get-service-last-accessed-details' again when it is done"),
])
@pytest.mark.parametrize("command", ["refine", "verify"])
def test_an_unfinished_report_is_one_line_of_bad_input(cli, tmp_path, name, status, detail,
                                                       command):
    path = AWS_FIXTURES / name
    out = tmp_path / "refined.json"
    extra = ["-o", out] if command == "refine" else [POLICY]
    code, stdout, err = cli(command, POLICY, "--unused", path, "--catalog", CATALOG, *extra)
    text = path.read_text()
    offset = text.index(f'"{status}"')
    line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
    assert (code, stdout) == (2, "")
    assert err == f"{path}:{line}:{column}: the Access Advisor report has JobStatus " \
                  f"{status}{detail}\n"
    assert not out.exists()


# --- generated reports: what the report cannot see is never removed ---------------------------

@st.composite
def reports(draw, cat):
    services = []
    for svc in draw(st.lists(st.sampled_from(sorted(cat.services)), unique=True, min_size=1,
                             max_size=3)):
        entry = {"ServiceNamespace": svc}
        if draw(st.booleans()):
            entry["LastAuthenticated"] = "2026-11-01T10:00:00+00:00"
            names = list(cat.services[svc])
            picked = draw(st.lists(st.sampled_from(names), unique=True, max_size=12))
            entry["TrackedActionsLastAccessed"] = [
                {"ActionName": n, **({"LastAccessedTime": "2026-10-01T00:00:00+00:00"}
                                     if draw(st.booleans()) else {})} for n in picked]
        services.append(entry)
    return {"JobStatus": "COMPLETED", "JobType": "ACTION_LEVEL",
            "JobCreationDate": "2026-11-20T07:59:12+00:00", "ServicesLastAccessed": services,
            "JobCompletionDate": "2026-11-20T07:59:14+00:00"}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_reports_refine_to_proved_policies_that_keep_the_unseen(cli, tmp_path, data):
    cat = catalog_mod.load(str(CATALOG))
    report = data.draw(reports(cat))
    services = [s["ServiceNamespace"] for s in report["ServicesLastAccessed"]]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"{s}:*" for s in services], "Resource": "*"}]}
    work = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    (work / "p.json").write_text(json.dumps(policy))
    (work / "r.json").write_text(json.dumps(report))
    code, _, err = cli("refine", work / "p.json", "--unused", work / "r.json", "--catalog",
                       CATALOG, "-o", work / "out.json", "--allow-nothing-unused")
    assert code == 0, err
    refined = json.loads((work / "out.json").read_text())
    seen = tracked(report)
    for entry in report["ServicesLastAccessed"]:
        svc = entry["ServiceNamespace"]
        for name in cat.services[svc]:
            action = f"{svc}:{name}"
            expect = "LastAuthenticated" in entry and seen.get(action, True) \
                or any(matches(e.action, action) for e in keep_list.ENTRIES)
            assert allowed(refined, action) == expect, (action, err)
