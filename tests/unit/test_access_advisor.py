"""The IAM Access Advisor reader (`aws iam get-service-last-accessed-details`): a service never
authenticated to is wholly unused, a tracked action never accessed is unused, every action the
report cannot see is kept with its reason, and an unfinished job is bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.access_advisor import UNTRACKED, USED_NO_ACTIONS, USED_SERVICE

CATALOG = AWS_FIXTURES / "catalog-2026-10-27-iam-s3-sqs-sts.json"
ACTION_LEVEL = AWS_FIXTURES / "access-advisor-action-level.json"
SERVICE_LEVEL = AWS_FIXTURES / "access-advisor-service-level.json"


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load(str(CATALOG))


def report(services, job_type="ACTION_LEVEL", **more) -> dict:
    return {"JobStatus": "COMPLETED", "JobType": job_type,
            "JobCreationDate": "2026-11-20T07:59:12+00:00", "ServicesLastAccessed": services,
            "JobCompletionDate": "2026-11-20T07:59:14+00:00", **more}


def position(text: str, needle: str) -> str:
    """`:LINE:COLUMN` of the first occurrence of needle in text."""
    offset = text.index(needle)
    return f":{text.count(chr(10), 0, offset) + 1}:{offset - text.rfind(chr(10), 0, offset)}"


def read(tmp_path, value, cat, since=None):
    path = tmp_path / "advisor.json"
    path.write_text(json.dumps(value, indent=2))
    return findings.load(str(path), cat, since)


def test_action_level_golden_fixture(cat):
    unused, warnings = findings.load(str(ACTION_LEVEL), cat)
    tracked = {t["ActionName"]: t for s in json.loads(ACTION_LEVEL.read_text())
               ["ServicesLastAccessed"] for t in s.get("TrackedActionsLastAccessed", [])
               if s["ServiceNamespace"] == "s3"}
    assert unused.services == ("sqs",)  # never authenticated to: wholly unused
    s3_unused = {a.split(":")[1] for a in unused.actions if a.startswith("s3:")}
    assert s3_unused == {n for n, t in tracked.items() if "LastAccessedTime" not in t}
    assert "iam:GetRole" not in unused.actions and "iam:DeleteRole" in unused.actions
    kept = {k.name: k.reason for k in unused.kept}
    assert kept["iam:PassRole"] == UNTRACKED  # never tracked, so never called unused
    assert kept["s3:GetObject"] == UNTRACKED and kept["s3:PutObject"] == UNTRACKED
    assert kept["sts:*"] == USED_NO_ACTIONS
    assert not any(k.startswith("sqs:") for k in kept)
    assert unused.window.date == "2026-11-20T07:59:14.031000+00:00"
    assert unused.window.field == "JobCompletionDate" and "400 days" in unused.window.period
    assert unused.kernel_reads and warnings == []  # the proof kernel reads the report itself


def test_service_level_golden_fixture(cat):
    unused, warnings = findings.load(str(SERVICE_LEVEL), cat)
    assert (unused.services, unused.actions) == (("sqs",), ())
    assert {k.name for k in unused.kept} == {"iam:*", "s3:*", "sts:*"}
    assert all(k.reason == USED_SERVICE for k in unused.kept)
    assert "SERVICE_LEVEL" in unused.window.source and warnings == []


def test_action_names_may_carry_their_service_prefix(tmp_path, cat):
    unused, _ = read(tmp_path, report([{
        "ServiceNamespace": "sqs", "LastAuthenticated": "2026-11-01T00:00:00+00:00",
        "TrackedActionsLastAccessed": [{"ActionName": "sqs:SendMessage"},
                                       {"ActionName": "ReceiveMessage",
                                        "LastAccessedTime": "2026-11-01T00:00:00+00:00"}]}]),
        cat)
    assert unused.actions == ("sqs:SendMessage",)
    assert {k.name for k in unused.kept} == {f"sqs:{n}" for n in cat.services["sqs"]} - {
        "sqs:SendMessage", "sqs:ReceiveMessage"}


def test_an_older_report_without_job_type_is_told_by_its_action_data(tmp_path, cat):
    value = report([{"ServiceNamespace": "sts", "LastAuthenticated": "2026-11-01T00:00:00Z",
                     "TrackedActionsLastAccessed": [{"ActionName": "GetCallerIdentity"}]}])
    del value["JobType"]
    unused, _ = read(tmp_path, value, cat)
    assert unused.actions == ("sts:GetCallerIdentity",)
    assert "ACTION_LEVEL" in unused.window.source


def test_a_truncated_last_page_warns_that_services_are_missing(tmp_path, cat):
    _, warnings = read(tmp_path, report([{"ServiceNamespace": "sqs"}], IsTruncated=True,
                                        Marker="abc"), cat)
    assert len(warnings) == 1 and "IsTruncated" in warnings[0] and "--marker" in warnings[0]


def test_pages_in_an_array_are_read_as_one_report(tmp_path, cat):
    first = report([{"ServiceNamespace": "sqs"}], IsTruncated=True, Marker="abc")
    second = report([{"ServiceNamespace": "sts"}])
    unused, warnings = read(tmp_path, [first, second], cat)
    assert unused.services == ("sqs", "sts") and warnings == []


@pytest.mark.parametrize("status, error, expected", [
    ("IN_PROGRESS", None, "JobStatus IN_PROGRESS; run 'aws iam get-service-last-accessed-details'"
                          " again when it is done"),
    ("FAILED", {"Code": "NoSuchEntity", "Message": "The role was deleted."},
     "JobStatus FAILED (NoSuchEntity: The role was deleted.); generate it again with 'aws iam "
     "generate-service-last-accessed-details'"),
])
def test_an_unfinished_job_is_bad_input_with_aws_error(tmp_path, cat, status, error, expected):
    value = report([], JobStatus=status)
    value["JobStatus"] = status
    if error:
        value["Error"] = error
    with pytest.raises(InputError) as caught:
        read(tmp_path, value, cat)
    path = tmp_path / "advisor.json"
    at = position(path.read_text(), f'"{status}"')
    assert str(caught.value) == f"{path}{at}: the Access Advisor report has {expected}"


@pytest.mark.parametrize("services, message", [
    ({"sqs": 1}, ":5:27: ServicesLastAccessed: expected a list"),
    ([{"ServiceNamespace": "s 3"}], 'ServicesLastAccessed[0].ServiceNamespace: "s 3" holds'),
    ([{"ServiceNamespace": "sqs", "LastAuthenticated": "2026-01-01T00:00:00Z",
       "TrackedActionsLastAccessed": [{"ActionName": "Send*"}]}],
     "TrackedActionsLastAccessed[0].ActionName: \"Send*\": unused actions are names"),
    ([{"ServiceNamespace": "sqs", "LastAuthenticated": "2026-01-01T00:00:00Z",
       "TrackedActionsLastAccessed": [{"ActionName": "s3:GetObject"}]}],
     '"s3:GetObject" is not in service "sqs"'),
])
def test_wrong_shapes_are_located(tmp_path, cat, services, message):
    with pytest.raises(InputError) as caught:
        read(tmp_path, report(services), cat)
    assert message in str(caught.value) and "\n" not in str(caught.value)


# --- the semantics, on generated reports -------------------------------------------------------

@st.composite
def reports(draw, cat):
    """A report over the catalog's services: each service unauthenticated, used without action
    data, or used with some tracked actions, each accessed or not."""
    services, expect_unused, expect_services, expect_kept = [], set(), set(), set()
    for svc in draw(st.lists(st.sampled_from(sorted(cat.services)), unique=True, min_size=1)):
        names = list(cat.services[svc])
        kind = draw(st.sampled_from(["never", "no-actions", "tracked"]))
        entry = {"ServiceNamespace": svc, "ServiceName": svc.upper()}
        if kind == "never":
            expect_services.add(svc)
        else:
            entry["LastAuthenticated"] = "2026-11-01T10:00:00+00:00"
            if kind == "no-actions":
                expect_kept.add(f"{svc}:*")
            else:
                tracked = draw(st.lists(st.sampled_from(names), unique=True, min_size=1))
                accessed = draw(st.sets(st.sampled_from(tracked)))
                entry["TrackedActionsLastAccessed"] = [
                    {"ActionName": n, **({"LastAccessedTime": "2026-10-01T00:00:00Z"}
                                         if n in accessed else {})} for n in tracked]
                expect_unused |= {f"{svc}:{n}" for n in tracked if n not in accessed}
                expect_kept |= {f"{svc}:{n}" for n in names if n not in tracked}
        services.append(entry)
    return report(services), expect_unused, expect_services, expect_kept


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_generated_reports_follow_the_rules(tmp_path_factory, cat, data):
    value, unused_actions, services, kept = data.draw(reports(cat))
    unused, _ = read(tmp_path_factory.mktemp("aa"), value, cat)
    assert set(unused.actions) == unused_actions
    assert set(unused.services) == services
    assert {k.name for k in unused.kept} == kept
    assert not {k.name for k in unused.kept} & set(unused.actions)


def test_the_library_reads_a_report_as_the_cli_does(cat):
    from verify_refine import api
    through_api = api.load_findings(ACTION_LEVEL, cat)
    unused, _ = findings.load(str(ACTION_LEVEL), cat)
    assert (through_api.actions, through_api.services, through_api.kept, through_api.window) == \
        (unused.actions, unused.services, unused.kept, unused.window)
