"""Security Hub's unused-permission findings as `--unused`, through the real CLI: refine removes
the wholly unused service, keeps what the finding only counts and says so, proves, and a closed
finding is one line of bad input unless --include-resolved."""

from __future__ import annotations

import json

from tests.helpers import BLOG_CATALOG, BLOG_POLICY, FIXTURES

GOLDEN = FIXTURES / "findings" / "securityhub-get-findings-v2.json"


def test_refine_removes_the_unused_service_and_keeps_the_counted_ones(cli, tmp_path):
    out, cert = tmp_path / "refined.json", tmp_path / "refined.cert.json"
    code, _, err = cli("refine", BLOG_POLICY, "--unused", GOLDEN, "--catalog", BLOG_CATALOG,
                       "-o", out, "--certificate", cert)
    assert code == 0, err
    refined = json.loads(out.read_text())
    assert [s["Action"] for s in refined["Statement"]] == [["s3:Get*", "s3:List*"]]
    assert "usage data: Security Hub unused-permission finding of 2024-06-03T17:21:40.000Z " \
           "(finding_info.modified_time_dt); it covers a fixed 90-day lookback" in err
    assert "4 unused actions counted but not named by the Security Hub finding, kept: s3:*" \
        in err
    assert "warning: " in err and "aws accessanalyzer get-finding-v2" in err
    assert cli("check", cert)[0] == 0


def test_a_resolved_finding_is_refused_at_its_status(cli, tmp_path):
    value = json.loads(GOLDEN.read_text())
    value["Findings"][0]["status"] = "Resolved"
    path = tmp_path / "hub.json"
    path.write_text(json.dumps(value, indent=2))
    out = tmp_path / "refined.json"
    code, stdout, err = cli("refine", BLOG_POLICY, "--unused", path, "--catalog", BLOG_CATALOG,
                            "-o", out)
    text = path.read_text()
    offset = text.index('"Resolved"')
    line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
    assert (code, stdout) == (2, "") and not out.exists()
    assert err == f"{path}:{line}:{column}: the finding's status is RESOLVED (the permissions " \
                  "were used since, or the finding no longer applies); its unused actions may " \
                  "no longer be unused: fetch it again, or give --include-resolved to use it " \
                  "anyway\n"
    code, _, err = cli("refine", BLOG_POLICY, "--unused", path, "--catalog", BLOG_CATALOG,
                       "-o", out, "--include-resolved")
    assert code == 0, err


def test_a_finding_that_names_nothing_says_what_to_fetch(cli, tmp_path):
    value = json.loads(GOLDEN.read_text())
    rows = value["Findings"][0]["permission_analysis_results"][0]
    rows["service_privilege_analysis_list"][0]["all_privileges_unused"] = False
    path = tmp_path / "hub.json"
    path.write_text(json.dumps(value, indent=2))
    code, stdout, err = cli("verify", BLOG_POLICY, BLOG_POLICY, "--unused", path, "--catalog",
                            BLOG_CATALOG)
    assert (code, stdout) == (2, "") and err.count("\n") == 1
    assert err.startswith(f"{path}:1:1: this Security Hub finding counts unused actions of "
                          "lambda, s3 but names none of them")
