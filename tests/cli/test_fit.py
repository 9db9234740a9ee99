"""`--fit` on refine and batch, through the real CLI: fits as is (nothing changes), fitted (a
smaller cover proved fitted and re-checked by `check`), does not fit (nothing written, exit 1,
unless --allow-oversize), and a fitted certificate that claims more than it shows fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers import EXAMPLES, MANAGED, ROOT, require, run
from verify_refine import pipeline
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.findings import UnusedSet
from verify_refine.inputs.policy import parse_policy
from verify_refine.refine import refiner
from verify_refine.report import size
from verify_refine.testing.corpus import draw_unused
from verify_refine.testing.strategies import catalogs
from verify_refine.verdict import Exit

BLOG = EXAMPLES / "blog"
BLOG_SIZE = 346  # the minimal refinement of the worked example, in IAM characters


def blog(tmp_path: Path) -> Path:
    for name in ("policy.json", "unused.json", "catalog-2024-10-24.json"):
        shutil.copy(BLOG / name, tmp_path / name)
    return tmp_path


def refine(capsys, folder: Path, *more, policy="policy.json", unused="unused.json",
           catalog="catalog-2024-10-24.json"):
    return run(capsys, "refine", folder / policy, "--unused", folder / unused, "--catalog",
               folder / catalog, "-o", folder / "out.json", "--certificate",
               folder / "out.cert.json", *more)


def test_a_refinement_that_fits_is_the_minimal_one_byte_for_byte(capsys, tmp_path):
    folder = blog(tmp_path)
    code, _, _ = refine(capsys, folder)
    assert code == 0
    plain = (folder / "out.json").read_bytes()
    plain_cert = json.loads((folder / "out.cert.json").read_text())
    code, _, err = refine(capsys, folder, "--fit", "managed")
    assert code == 0, err
    assert (folder / "out.json").read_bytes() == plain
    cert = json.loads((folder / "out.cert.json").read_text())
    assert "minimal" in cert["summary"] and "fitted" not in cert["summary"]
    assert cert["hints"] == plain_cert["hints"] and "fit" not in cert["hints"]
    assert "fit: fits as is: 346 characters, target 6,144; minimal kept" in err


def test_a_smaller_cover_is_proved_fitted_and_rechecked(capsys, tmp_path):
    folder = blog(tmp_path)
    code, _, err = refine(capsys, folder, "--fit", "300")
    assert code == 0, err
    written = (folder / "out.json").read_text()
    assert size.iam_size(written) <= 300 < BLOG_SIZE
    assert "s3:GetO*" in json.loads(written)["Statement"][1]["Action"]
    cert = json.loads((folder / "out.cert.json").read_text())
    assert cert["summary"]["fitted"] == {"obligations": 1, "hold": 1}
    assert "minimal" not in cert["summary"]
    assert cert["hints"]["fit"] == {"target": 300}
    assert "fit: fitted: " in err and "fitted (1 query)" in err
    for solver in ("z3", "cvc5"):
        code, out, err = run(capsys, "check", folder / "out.cert.json", "--solver", solver)
        assert code == 0, out + err
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "proofs" / "certificate.schema.json").read_text())
    jsonschema.validate(cert, schema)


def test_a_fitted_certificate_cannot_claim_a_smaller_target_or_minimality(capsys, tmp_path):
    folder = blog(tmp_path)
    assert refine(capsys, folder, "--fit", "300")[0] == 0
    cert_path = folder / "out.cert.json"
    cert = json.loads(cert_path.read_text())
    for hints in ({**cert["hints"], "fit": {"target": 200}},
                  {k: v for k, v in cert["hints"].items() if k != "fit"}):
        cert_path.write_text(json.dumps({**cert, "hints": hints}))
        code, out, err = run(capsys, "check", cert_path)
        assert code == Exit.REFUTED, out + err


def test_what_does_not_fit_is_not_written_unless_allowed(capsys, tmp_path):
    folder = blog(tmp_path)
    code, out, err = refine(capsys, folder, "--fit", "100")
    assert code == Exit.REFUTED
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("out")) == []
    assert ("error: does not fit: the minimal refinement is 346 characters and the smallest "
            "cover found is 296 characters, over the target of 100, and no split into "
            "managed policies of that size can be made") in err
    code, out, err = refine(capsys, folder, "--fit", "100", "--allow-oversize")
    assert code == 0, err
    assert size.iam_size((folder / "out.json").read_text()) == BLOG_SIZE
    assert "warning: does not fit" in err and "--allow-oversize" in err
    assert run(capsys, "check", folder / "out.cert.json")[0] == 0


def test_a_cover_still_too_large_is_split_and_each_step_checks(capsys, tmp_path):
    """original -> the smallest cover (certificate: fitted at its own size) -> K parts of at
    most the target (split record: together they allow exactly what the cover allows)."""
    folder = blog(tmp_path)
    code, out, err = refine(capsys, folder, "--fit", "250")
    assert code == 0, err
    parts = sorted(folder.glob("out-*.json"))
    assert len(parts) == 2 and all(size.iam_size(p.read_text()) <= 250 for p in parts)
    assert size.iam_size((folder / "out.json").read_text()) == 296
    assert "fit: split: the smallest cover (296 characters, fitted proved) into 2 managed " \
           "policies of at most 250 characters" in err
    assert "size: 296 characters" in err
    assert run(capsys, "check", folder / "out.cert.json")[0] == 0
    assert run(capsys, "check", folder / "out.split.json")[0] == 0
    record = json.loads((folder / "out.split.json").read_text())
    assert record["policy"]["file"] == "out.json" and record["limit"] == 250


@pytest.mark.parametrize("input_name", ["out-1.json", "out.split.json"])
def test_a_split_never_overwrites_an_input(capsys, tmp_path, input_name):
    """A part or the record named as an input (the policy, the findings) is refused before
    anything is written: exit 2, one line, the input as it was."""
    folder = blog(tmp_path)
    names = {"policy": "policy.json", "unused": "unused.json"}
    role = "policy" if input_name == "out-1.json" else "unused"
    (folder / "policy.json").rename(folder / input_name) if role == "policy" else \
        (folder / "unused.json").rename(folder / input_name)
    names[role] = input_name
    before = (folder / input_name).read_bytes()
    code, _, err = refine(capsys, folder, "--fit", "250", **names)
    assert code == Exit.INPUT and len(err.strip().splitlines()) == 1, err
    assert f"`{folder / input_name}` is the" in err and "refusing to overwrite an input" in err
    assert (folder / input_name).read_bytes() == before
    assert not [p for p in folder.iterdir() if p.name.startswith("out") and p.name != input_name]


def test_an_inline_kind_is_never_split(capsys, tmp_path):
    """An inline quota counts all of a principal's inline policies together: splitting one
    into several would not fit it, so a cover over it does not fit."""
    from verify_refine import fitting
    from verify_refine.commands.fitting import target_of

    folder = blog(tmp_path)
    cat = catalog_mod.load(str(folder / "catalog-2024-10-24.json"))
    policy = parse_policy((folder / "policy.json").read_bytes(), "policy.json")
    from verify_refine.inputs import findings

    unused, _ = findings.load(str(folder / "unused.json"), cat, None)
    done = pipeline.refine_and_prove(policy, unused, cat, fit=250)
    inline = target_of("user-inline")
    assert fitting.split_step(done, inline) is None
    assert fitting.split_step(done, target_of("250")).split is not None


def test_fit_options_that_make_no_sense_are_usage_errors(capsys, tmp_path):
    folder = blog(tmp_path)
    for more, message in ((("--allow-oversize",), "--allow-oversize needs --fit"),
                          (("--fit", "huge"), "'huge' is neither a positive number"),
                          (("--fit", "0"), "'0' is neither a positive number")):
        code, _, err = refine(capsys, folder, *more)
        assert code == Exit.INPUT and message in err
        assert len(err.strip().splitlines()) == 1
    assert not (folder / "out.json").exists()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(catalog=catalogs(), data=st.data())
def test_any_target_either_fits_proved_or_writes_nothing(tmp_path_factory, capsys, catalog,
                                                         data):
    folder = tmp_path_factory.mktemp("fit")
    actions = sorted(catalog.canonical(a) for a in catalog.with_prefix(""))
    unused = data.draw(st.lists(st.sampled_from(actions), min_size=1, unique=True))
    patterns = sorted({a.split(":")[0] + ":*" for a in actions})
    (folder / "c.json").write_text(json.dumps(catalog.export()))
    (folder / "p.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": patterns, "Resource": "*"}]}))
    (folder / "u.json").write_text(json.dumps(unused))
    policy = parse_policy((folder / "p.json").read_bytes(), "p.json")
    minimal = pipeline.refined_size(refiner.refine(policy, catalog, UnusedSet(
        tuple(unused), (), ())))
    target = data.draw(st.integers(minimal * 2 // 3, minimal + 10))
    code, out, err = refine(capsys, folder, "--fit", str(target), policy="p.json",
                            unused="u.json", catalog="c.json")
    event(f"exit {code}" + (" fitted" if "fit: fitted" in err else ""))
    if code == Exit.REFUTED:
        assert "does not fit" in err and not (folder / "out.json").exists()
        return
    assert code == 0, err
    assert run(capsys, "check", folder / "out.cert.json")[0] == 0
    if (folder / "out.split.json").exists():  # the cover, split into parts within the target
        assert "fit: split" in err and run(capsys, "check", folder / "out.split.json")[0] == 0
        assert all(size.iam_size(p.read_text()) <= target for p in folder.glob("out-*.json"))
    else:
        assert size.iam_size((folder / "out.json").read_text()) <= target


@pytest.mark.slow
def test_a_corpus_policy_over_the_managed_limit_is_brought_under(capsys, tmp_path):
    """AmazonDynamoDBFullAccesswithDataPipeline with 30% of its actions unused (the corpus
    benchmarks' seeded draw): minimal 9,493 characters, fitted under 6,144."""
    source = require(MANAGED) / "AmazonDynamoDBFullAccesswithDataPipeline.json"
    cat = catalog_mod.load(None)
    policy = parse_policy(source.read_bytes(), str(source))
    unused = draw_unused(policy, cat, str(source), 0.3, 1)
    shutil.copy(source, tmp_path / "policy.json")
    (tmp_path / "unused.json").write_text(json.dumps(list(unused.actions)))
    argv = ["refine", tmp_path / "policy.json", "--unused", tmp_path / "unused.json"]
    code, minimal, _ = run(capsys, *argv)
    assert code == 0 and size.iam_size(minimal) > size.LIMITS["managed"]
    code, _, err = run(capsys, *argv, "--fit", "managed", "-o", tmp_path / "out.json",
                       "--certificate", tmp_path / "out.cert.json")
    assert code == 0, err
    assert size.iam_size((tmp_path / "out.json").read_text()) <= size.LIMITS["managed"]
    assert run(capsys, "check", tmp_path / "out.cert.json")[0] == 0
    code, again, _ = run(capsys, *argv)
    assert again == minimal  # without --fit: the minimal refinement, unchanged


def test_batch_fits_each_policy_or_writes_nothing_for_it(capsys, tmp_path):
    from tests.cli.test_batch import rows, small

    code, _, err = small(capsys, tmp_path / "plain")
    assert code == 0, err
    code, _, err = small(capsys, tmp_path / "fit", "--fit", "managed")
    assert code == 0, err  # every refinement fits a managed policy as it is
    for name in ("app-deployer/invoke-and-read", "data-reader/read-reports"):
        assert (tmp_path / "fit" / f"{name}.refined.json").read_bytes() == (
            tmp_path / "plain" / f"{name}.refined.json").read_bytes()
    code, _, err = small(capsys, tmp_path / "tight", "--fit", "300")
    assert code == 0, err  # each fits, is fitted, or its cover is split into proved parts
    fitted = {r["policy"]: r for r in rows(tmp_path / "tight")}
    blog_row = fitted["invoke-and-read"]  # the worked example: 346 characters, fitted to 296
    assert (blog_row["verdict"], blog_row["size_after"]) == ("proved", "296")
    cert = json.loads((tmp_path / "tight" / "app-deployer" /
                       "invoke-and-read.cert.json").read_text())
    assert "fitted" in cert["summary"]
    for record in (tmp_path / "tight").rglob("*.split.json"):
        assert run(capsys, "check", record)[0] == 0
    code, _, err = small(capsys, tmp_path / "tiny", "--fit", "60")
    assert code == Exit.REFUTED
    over = [r for r in rows(tmp_path / "tiny") if r["verdict"] == "error"]
    assert over and all("does not fit" in r["error"] for r in over)
    for r in over:
        assert not (tmp_path / "tiny" / r["principal"] / f"{r['policy']}.refined.json").exists()


def test_recertify_keeps_a_fitted_certificate_fitted(capsys, tmp_path):
    folder = blog(tmp_path)
    assert refine(capsys, folder, "--fit", "300")[0] == 0
    fitted = (folder / "out.json").read_bytes()
    code, out, err = run(capsys, "recertify", folder / "out.cert.json")
    assert code == 0, err
    assert "up to date" in out and (folder / "out.json").read_bytes() == fitted
    cert_path = folder / "out.cert.json"
    cert = json.loads(cert_path.read_text())
    cert["hints"]["fit"]["target"] = 250  # a target no cover meets: nothing is rewritten
    cert_path.write_text(json.dumps(cert))
    code, out, err = run(capsys, "recertify", cert_path)
    assert code == Exit.REFUTED and "no cover fits now" in err
    assert (folder / "out.json").read_bytes() == fitted


def test_the_library_fits_as_the_command_line_does(capsys, tmp_path):
    from verify_refine import api

    folder = blog(tmp_path)
    catalog = api.load_catalog(str(folder / "catalog-2024-10-24.json"))
    policy = api.load_policy(json.loads((folder / "policy.json").read_text()))
    unused = api.load_findings(json.loads((folder / "unused.json").read_text()), catalog)
    statuses = {target: api.refine_and_prove(policy, unused, catalog, fit=target)
                for target in (6144, 300, 250)}
    assert [(r.fitting.status, r.proved) for r in statuses.values()] == [
        ("fits", True), ("fitted", True), ("does not fit", True)]
    assert size.iam_size(statuses[300].text) <= 300
    assert size.iam_size(statuses[250].text) == BLOG_SIZE


def test_the_json_result_says_how_it_was_fitted(capsys, tmp_path):
    folder = blog(tmp_path)
    code, out, err = refine(capsys, folder, "--fit", "300", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["fit"] == {"status": "fitted", "target": 300, "minimal_size": BLOG_SIZE,
                           "size": data["size"]["iam_characters"],
                           "saved": BLOG_SIZE - data["size"]["iam_characters"],
                           "patterns_widened": 1, "exposure_added": 56}
    assert data["size"]["iam_characters"] <= 300


def test_siblings_merge_into_one_wildcard_with_an_inner_star(capsys, tmp_path):
    """`s3:GetBucketAcl` and `s3:GetObjectAcl`, each with an unused action under it, become
    `s3:Get*tAcl` (their common head and tail), which admits no unused action: proved
    fitted and re-checked."""
    (tmp_path / "c.json").write_text(json.dumps({"s3": [
        "GetBucketAcl", "GetBucketAclV2", "GetBucketPolicy", "GetObjectAcl", "GetObjectAclV2",
        "GetObjectTagging"]}))
    (tmp_path / "p.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))
    (tmp_path / "u.json").write_text(json.dumps(["s3:GetBucketAclV2", "s3:GetBucketPolicy",
                                                 "s3:GetObjectAclV2", "s3:GetObjectTagging"]))
    code, out, err = refine(capsys, tmp_path, "--fit", "100", policy="p.json", unused="u.json",
                            catalog="c.json")
    assert code == 0, err
    assert json.loads((tmp_path / "out.json").read_text())["Statement"][0]["Action"] == \
        "s3:Get*tAcl"
    assert run(capsys, "check", tmp_path / "out.cert.json")[0] == 0
