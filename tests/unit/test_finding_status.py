"""Access Analyzer's findings as AWS prints them: a RESOLVED or ARCHIVED finding is marked and
refused unless --include-resolved, a page cut by nextToken warns, list-findings-v2 output says what
to run, several findings in an array are read as one principal's or split by resource, and
--unused-since keeps what was used within DAYS of the finding's date."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, FIXTURES
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings
from verify_refine.inputs.finding_status import by_resource, part_of

FINDING = FIXTURES / "findings" / "get-finding-v2.json"
ROLE = "arn:aws:iam::123456789012:role/app-deployer"


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load(str(BLOG_CATALOG))


def base() -> dict:
    return copy.deepcopy(json.loads(FINDING.read_text()))


def read(tmp_path, value, cat, since=None):
    path = tmp_path / "finding.json"
    path.write_text(json.dumps(value, indent=2))
    return findings.load(str(path), cat, since)


def located(path, needle: str) -> str:
    text = path.read_text()
    offset = text.index(needle)
    return f"{path}:{text.count(chr(10), 0, offset) + 1}:{offset - text.rfind(chr(10), 0, offset)}"


@pytest.mark.parametrize("status, why", [
    ("RESOLVED", "the permissions were used since, or the finding no longer applies"),
    ("ARCHIVED", "someone decided to keep these permissions")])
def test_a_closed_finding_is_refused_at_its_status_unless_included(cat, status, why):
    path = FIXTURES / "findings" / f"get-finding-v2-{status.lower()}.json"
    unused, _ = findings.load(str(path), cat)
    assert [c.status for c in unused.closed] == [status]
    assert unused.actions == findings.load(str(FINDING), cat)[0].actions  # read alike
    with pytest.raises(InputError) as caught:
        findings.require_open(unused, str(path), include_resolved=False)
    assert str(caught.value) == (
        f"{located(path, chr(34) + status + chr(34))}: the finding's status is {status} "
        f"({why}); its unused actions may no longer be unused: fetch it again, or give "
        "--include-resolved to use it anyway")
    findings.require_open(unused, str(path), include_resolved=True)


def test_an_active_finding_is_open(cat):
    unused, _ = findings.load(str(FINDING), cat)
    assert unused.closed == () and unused.kernel_reads
    assert (unused.window.date, unused.window.field) == ("2024-06-03T17:21:40+00:00",
                                                         "analyzedAt")
    findings.require_open(unused, str(FINDING), include_resolved=False)


def test_a_page_cut_by_next_token_warns_naming_the_missing_pages(cat):
    path = FIXTURES / "findings" / "get-finding-v2-next-token.json"
    _, warnings = findings.load(str(path), cat)
    assert warnings == [
        f"{path}: nextToken is set: this is one page of finding e2a7c5d1-4b3f-4e6a-9c2d-"
        "8f1b0a7e6d54, and the unused actions on its other pages are missing (so they are "
        "kept); run 'aws accessanalyzer get-finding-v2' without --max-items or --no-paginate "
        "to get every page"]


def test_list_findings_output_says_to_fetch_each_finding(cat):
    path = AWS_FIXTURES / "list-findings-v2.json"
    with pytest.raises(InputError) as caught:
        findings.load(str(path), cat)
    assert str(caught.value) == (
        f"{located(path, '[')}: this is 'aws accessanalyzer list-findings-v2' output: it lists "
        "2 findings without their unused actions; fetch each with 'aws accessanalyzer "
        "get-finding-v2 --analyzer-arn ARN --id ID' (the first UnusedPermission one has id "
        '"e2a7c5d1-4b3f-4e6a-9c2d-8f1b0a7e6d54")')


def test_an_array_of_one_principal_s_findings_is_read_as_one(tmp_path, cat):
    second = base()
    second["findingDetails"] = [{"unusedPermissionDetails": {
        "serviceNamespace": "s3", "actions": [{"action": "GetObject"}]}}]
    second["analyzedAt"] = "2024-05-01T00:00:00+00:00"
    role = {**base(), "findingType": "UnusedIAMRole",
            "findingDetails": [{"unusedIamRoleDetails": {"lastAccessed": "2024-01-01T00:00Z"}}]}
    unused, _ = read(tmp_path, [base(), second, role], cat)
    assert set(unused.actions) == set(findings.load(str(FINDING), cat)[0].actions) | {
        "s3:GetObject"}
    assert unused.window.date == "2024-05-01T00:00:00+00:00"  # the earliest, to count from
    assert unused.kernel_reads  # the proof kernel reads a list of findings itself


def test_an_array_about_two_principals_is_refused(tmp_path, cat):
    other = base()
    other["resource"] = "arn:aws:iam::123456789012:role/other"
    with pytest.raises(InputError) as caught:
        read(tmp_path, [base(), other], cat)
    assert "the findings are about 2 principals" in str(caught.value)
    assert "run batch, which matches each finding to its principal" in str(caught.value)


def test_an_array_with_something_else_is_located(tmp_path, cat):
    with pytest.raises(InputError) as caught:
        read(tmp_path, [base(), ["s3:GetObject"]], cat)
    assert ": [1]: expected get-finding-v2 output" in str(caught.value)


def test_findings_are_split_by_resource_in_their_format():
    other = base()
    other["resource"] = "arn:aws:iam::123456789012:role/other"
    value = [base(), other, base()]
    groups = by_resource(value)
    assert list(groups) == [ROLE, other["resource"]] and len(groups[ROLE]) == 2
    assert json.loads(part_of(value, groups[other["resource"]])) == other
    assert len(json.loads(part_of(value, groups[ROLE]))) == 2
    assert by_resource(["s3:GetObject"]) is None


# --- --unused-since -----------------------------------------------------------------------------

def test_unused_since_keeps_what_was_used_within_the_days(tmp_path, cat):
    # analyzedAt 2024-06-03; s3:GetBucketAcl last used 2024-01-09 (146 days before),
    # s3:GetObjectTagging 2023-11-30 (186), the lambda service 2023-10-02 (245)
    def kept(days):
        unused, _ = read(tmp_path, base(), cat, since=days)
        return sorted(k.name for k in unused.kept), unused
    assert kept(100)[0] == []
    assert kept(150)[0] == ["s3:GetBucketAcl"]
    assert kept(200)[0] == ["s3:GetBucketAcl", "s3:GetObjectTagging"]
    names, unused = kept(250)
    assert names == ["lambda:*", "s3:GetBucketAcl", "s3:GetObjectTagging"]
    assert set(unused.actions) == {"s3:GetBucketCORS", "s3:PutBucketPolicy"}  # never used
    assert unused.services == () and unused.since_days == 250 and not unused.kernel_reads


def test_unused_since_needs_a_date(tmp_path, cat):
    with pytest.raises(InputError) as caught:
        read(tmp_path, ["s3:GetObject"], cat, since=30)
    assert str(caught.value) == (
        f"{tmp_path / 'finding.json'}: --unused-since: these findings have no date to count "
        "from (get-finding-v2, Access Advisor and Security Hub data carry one)")


DATE = datetime.datetime(2024, 6, 3, 12, 0, tzinfo=datetime.timezone.utc)


@settings(max_examples=60, deadline=None)
@given(ages=st.lists(st.one_of(st.none(), st.integers(0, 800)), min_size=1, max_size=8),
       days=st.integers(1, 800))
def test_an_action_is_kept_exactly_when_used_within_the_days(tmp_path_factory, cat, ages,
                                                             days):
    names = sorted(cat.services["s3"])[:len(ages)]
    value = base()
    value["analyzedAt"] = DATE.isoformat()
    value["findingDetails"] = [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [
        {"action": n, **({} if age is None else
                         {"lastAccessed": (DATE - datetime.timedelta(days=age)).isoformat()})}
        for n, age in zip(names, ages)]}}]
    unused, _ = read(tmp_path_factory.mktemp("since"), value, cat, since=days)
    expect_kept = {f"s3:{n}" for n, age in zip(names, ages) if age is not None and age <= days}
    assert {k.name for k in unused.kept} == expect_kept
    assert set(unused.actions) == {f"s3:{n}" for n in names} - expect_kept
