"""Finding semantics through the real CLI: RESOLVED and ARCHIVED findings refused (exit 2, at the
status) unless --include-resolved in refine, verify and batch; nextToken warns; list-findings-v2
says what to run; several findings in one file are matched to their principals in batch; and
--unused-since is recorded in the certificate, which `check` reads the findings with again."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, BLOG_POLICY, FIXTURES

FINDING = FIXTURES / "findings" / "get-finding-v2.json"
ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"


def closed_copy(tmp_path, status: str):
    value = json.loads(FINDING.read_text())
    value["status"] = status
    path = tmp_path / f"{status.lower()}.json"
    path.write_text(json.dumps(value, indent=4))
    return path


def status_at(path, status: str) -> str:
    text = path.read_text()
    offset = text.index(f'"{status}"')
    return f"{path}:{text.count(chr(10), 0, offset) + 1}:{offset - text.rfind(chr(10), 0, offset)}"


def run_command(cli, command, findings, out, *more):
    extra = ["-o", out] if command == "refine" else [BLOG_POLICY]
    return cli(command, BLOG_POLICY, "--unused", findings, "--catalog", BLOG_CATALOG, *extra,
               *more)


@pytest.mark.parametrize("command", ["refine", "verify"])
@pytest.mark.parametrize("status", ["ACTIVE", "RESOLVED", "ARCHIVED"])
@pytest.mark.parametrize("include", [False, True])
def test_closed_findings_are_refused_unless_included(cli, tmp_path, command, status, include):
    path = closed_copy(tmp_path, status)
    out = tmp_path / "refined.json"
    code, stdout, err = run_command(cli, command, path, out,
                                    *(["--include-resolved"] if include else []))
    if status == "ACTIVE" or include:
        assert code in (0, 1), err  # verify of the unrefined policy is refuted: it removes none
        return
    assert (code, stdout) == (2, "") and not out.exists()
    assert err.startswith(f"{status_at(path, status)}: the finding's status is {status} (")
    assert err.endswith("give --include-resolved to use it anyway\n") and err.count("\n") == 1


def test_a_page_cut_by_next_token_warns_and_still_proves(cli, tmp_path):
    path = FIXTURES / "findings" / "get-finding-v2-next-token.json"
    code, _, err = run_command(cli, "refine", path, tmp_path / "r.json")
    assert code == 0, err
    assert f"warning: {path}: nextToken is set: this is one page of finding" in err
    assert "usage data: IAM Access Analyzer finding of 2024-06-03T17:21:40+00:00 (analyzedAt)" \
        in err


def test_list_findings_output_is_refused_with_what_to_run(cli, tmp_path):
    path = AWS_FIXTURES / "list-findings-v2.json"
    code, stdout, err = run_command(cli, "refine", path, tmp_path / "r.json")
    assert (code, stdout) == (2, "") and err.count("\n") == 1
    assert ": this is 'aws accessanalyzer list-findings-v2' output: it lists 2 findings " \
           "without their unused actions; fetch each with 'aws accessanalyzer get-finding-v2 " \
           "--analyzer-arn ARN --id ID'" in err


def rows(out) -> list[tuple]:
    with open(out / "summary.csv", newline="") as handle:
        return [(r["principal"], r["policy"], r["verdict"], r["catalog_actions_removed"])
                for r in csv.DictReader(handle)]


def batch(cli, folder, out, *more):
    return cli("batch", ACCOUNT, "--findings", folder, "-o", out, "--catalog", BLOG_CATALOG,
               "--jobs", "1", *more)


def test_batch_splits_one_file_of_findings_by_resource(cli, tmp_path):
    folder = tmp_path / "findings"
    folder.mkdir()
    shutil.copy(FINDINGS / "ci-bot.txt", folder)
    together = [json.loads(p.read_text()) for p in sorted(FINDINGS.glob("finding-*.json"))]
    (folder / "all.json").write_text(json.dumps(together, indent=2))
    code, _, err = batch(cli, folder, tmp_path / "one-file")
    assert code == 0, err
    code, _, err = batch(cli, FINDINGS, tmp_path / "per-file")
    assert code == 0, err
    assert rows(tmp_path / "one-file") == rows(tmp_path / "per-file")
    copy = json.loads((tmp_path / "one-file" / "app-deployer" / "findings.json").read_text())
    assert copy["resource"] == "arn:aws:iam::123456789012:role/app-deployer"
    for cert in sorted((tmp_path / "one-file").glob("*/*.cert.json")):
        assert cli("check", cert)[0] == 0, cert


@pytest.mark.parametrize("include", [False, True])
def test_batch_refuses_a_resolved_finding_in_its_principal_s_rows(cli, tmp_path, include):
    folder = tmp_path / "findings"
    shutil.copytree(FINDINGS, folder)
    path = folder / "finding-3f1c2a9e.json"
    path.write_text(path.read_text().replace('"ACTIVE"', '"RESOLVED"'))
    out = tmp_path / "out"
    code, _, err = batch(cli, folder, out, *(["--include-resolved"] if include else []))
    verdicts = {(r[0], r[1]): r[2] for r in rows(out)}
    if include:
        assert code == 0, err
        return
    assert code == 1
    assert verdicts[("app-deployer", "invoke-and-read")] == "error"
    assert verdicts[("data-reader", "read-reports")] == "proved"
    with open(out / "summary.csv", newline="") as handle:
        errors = [r["error"] for r in csv.DictReader(handle) if r["principal"] == "app-deployer"]
    assert all("the finding's status is RESOLVED" in e for e in errors)


def test_unused_since_is_recorded_and_checked_again(cli, tmp_path):
    out, cert = tmp_path / "refined.json", tmp_path / "refined.cert.json"
    code, _, err = cli("refine", BLOG_POLICY, "--unused", FINDING, "--catalog", BLOG_CATALOG,
                       "-o", out, "--certificate", cert, "--unused-since", "200")
    assert code == 0, err
    assert "last used within 200 days of the data's date (2024-06-03), kept: s3:GetBucketAcl, " \
           "s3:GetObjectTagging" in err
    recorded = json.loads(cert.read_text())
    assert recorded["unused_reading"]["since_days"] == 200
    assert recorded["unused_reading"]["window"]["date"] == "2024-06-03T17:21:40+00:00"
    assert cli("check", cert)[0] == 0
    recorded["unused_reading"]["since_days"] = 100  # reads the findings otherwise: stale
    cert.write_text(json.dumps(recorded, indent=1))
    code, _, err = cli("check", cert)
    assert code == 1 and "the unused file is not the one certified" in err


def test_the_recorded_window_is_informational_and_never_printed(cli, tmp_path):
    out, cert = tmp_path / "refined.json", tmp_path / "refined.cert.json"
    assert cli("refine", BLOG_POLICY, "--unused", FINDING, "--catalog", BLOG_CATALOG, "-o", out,
               "--certificate", cert)[0] == 0
    recorded = json.loads(cert.read_text())
    assert "since_days" not in recorded["unused_reading"]
    recorded["unused_reading"]["window"]["date"] = "edited-1999"
    cert.write_text(json.dumps(recorded, indent=1))
    code, stdout, err = cli("check", cert)
    assert code == 0 and "edited-1999" not in stdout + err
    del recorded["unused_reading"]["window"]["period"]
    cert.write_text(json.dumps(recorded, indent=1))
    code, _, err = cli("check", cert)
    assert code == 2 and 'unused_reading.window has no "period"' in err


def test_the_gate_reads_the_findings_as_the_certificate_says(cli, tmp_path):
    for source in (BLOG_POLICY, FINDING, BLOG_CATALOG):
        shutil.copy(source, tmp_path / Path(source).name)
    policy, finding, catalog = (tmp_path / Path(p).name for p in (BLOG_POLICY, FINDING,
                                                                  BLOG_CATALOG))
    out, cert = tmp_path / "policy.refined.json", tmp_path / "policy.cert.json"
    code, _, err = cli("refine", policy, "--unused", finding, "--catalog", catalog, "-o", out,
                       "--certificate", cert, "--unused-since", "200")
    assert code == 0, err
    code, out_text, err = cli("gate", tmp_path, "--root", tmp_path, "--jobs", "1")
    assert code == 0, out_text + err
    assert "1 valid, 0 failed" in out_text + err
