"""Security Hub's unused-permission findings (OCSF): wholly unused services are read, actions the
finding only counts are kept (OCSF carries counts, not names), closed findings are marked, and the
finding's date and 90-day window are reported."""

from __future__ import annotations

import copy
import json

import pytest

from tests.helpers import BLOG_CATALOG, FIXTURES
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings

GOLDEN = FIXTURES / "findings" / "securityhub-get-findings-v2.json"
ROLE = "arn:aws:iam::123456789012:role/app-deployer"


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load(str(BLOG_CATALOG))


def finding() -> dict:
    return copy.deepcopy(json.loads(GOLDEN.read_text())["Findings"][0])


def read(tmp_path, value, cat, since=None):
    path = tmp_path / "hub.json"
    path.write_text(json.dumps(value, indent=2))
    return findings.load(str(path), cat, since)


def test_golden_fixture(cat):
    unused, warnings = findings.load(str(GOLDEN), cat)
    assert (unused.services, unused.actions) == (("lambda",), ())
    assert [(k.name, k.reason) for k in unused.kept] == [
        ("s3:*", "4 unused actions counted but not named by the Security Hub finding")]
    assert unused.window.date == "2024-06-03T17:21:40.000Z"
    assert unused.window.field == "finding_info.modified_time_dt"
    assert unused.window.period.startswith("a fixed 90-day lookback")
    assert len(warnings) == 1 and "get-finding-v2" in warnings[0] and "s3" in warnings[0]
    assert not unused.kernel_reads and unused.closed == ()


@pytest.mark.parametrize("shape", ["one", "array"])
def test_one_finding_or_an_array_reads_as_get_findings_v2_output(tmp_path, cat, shape):
    value = finding() if shape == "one" else [finding()]
    unused, _ = read(tmp_path, value, cat)
    assert unused.services == ("lambda",)


def test_a_finding_that_only_counts_is_refused_with_what_to_fetch(tmp_path, cat):
    value = finding()
    rows = value["permission_analysis_results"][0]["service_privilege_analysis_list"]
    rows[0]["all_privileges_unused"] = False
    with pytest.raises(InputError) as caught:
        read(tmp_path, {"Findings": [value]}, cat)
    assert "counts unused actions of lambda, s3 but names none of them" in str(caught.value)
    assert "aws accessanalyzer get-finding-v2" in str(caught.value)


def test_findings_of_other_types_are_skipped(tmp_path, cat):
    role = finding()
    role["finding_info"]["types"] = ["Software and Configuration Checks/AWS Security Best "
                                     "Practices/Unused IAM Role"]
    unused, _ = read(tmp_path, {"Findings": [role, finding()]}, cat)
    assert unused.services == ("lambda",)
    nothing, _ = read(tmp_path, {"Findings": [role]}, cat)
    assert (nothing.services, nothing.actions) == ((), ())


@pytest.mark.parametrize("status, closed", [("New", False), ("Resolved", True),
                                            ("Suppressed", True), ("In Progress", False)])
def test_closed_findings_are_marked(tmp_path, cat, status, closed):
    value = finding()
    value["status"] = status
    unused, _ = read(tmp_path, value, cat)
    assert bool(unused.closed) == closed
    if closed:
        with pytest.raises(InputError) as caught:
            findings.require_open(unused, "hub.json", False)
        assert f"the finding's status is {status.upper()}" in str(caught.value)
        assert "--include-resolved" in str(caught.value)
        findings.require_open(unused, "hub.json", True)


def test_unused_since_keeps_a_service_used_within_the_days(tmp_path, cat):
    # lambda was last used on 2023-10-02 at 14:40, 245 days and 3 hours before the finding's
    # date of 2024-06-03 at 17:21
    unused, _ = read(tmp_path, finding(), cat, since=246)
    kept = {k.name: k.reason for k in unused.kept}
    assert unused.services == ()
    assert kept["lambda:*"] == "last used within 246 days of the data's date (2024-06-03)"
    unused, _ = read(tmp_path, finding(), cat, since=245)
    assert unused.services == ("lambda",)


def test_findings_about_two_principals_are_refused(tmp_path, cat):
    other = finding()
    other["resources"][0]["uid"] = "arn:aws:iam::123456789012:role/other"
    with pytest.raises(InputError) as caught:
        read(tmp_path, {"Findings": [finding(), other]}, cat)
    assert f"the findings are about 2 principals ({ROLE}, arn:aws:iam::123456789012:role/other)" \
        in str(caught.value) and "batch" in str(caught.value)


def test_a_wrong_row_is_located(tmp_path, cat):
    value = finding()
    value["permission_analysis_results"][0]["service_privilege_analysis_list"][1]["name"] = "s 3"
    with pytest.raises(InputError) as caught:
        read(tmp_path, value, cat)
    assert "permission_analysis_results[0].service_privilege_analysis_list[1].name: \"s 3\"" \
        in str(caught.value)
