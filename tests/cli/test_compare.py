"""The comparison harness (issue 5): strategies, CSV, summary, plots, reproducible draws."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.helpers import BLOG_CATALOG, FIXTURES, MANAGED, S3_LAMBDA_CATALOG, require
from verify_refine.compare import harness, strategies
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.policy import parse_policy

pytest.importorskip("matplotlib", reason="the compare extra (matplotlib) is not installed")

CORPUS = FIXTURES / "compare"
CATALOG = S3_LAMBDA_CATALOG
OLD = BLOG_CATALOG
POLICIES = sorted(p.name for p in CORPUS.glob("*.json") if p.name != "broken.json")


@pytest.fixture(scope="module")
def catalog():
    return catalog_mod.load(str(CATALOG))


def _run(tmp, catalog, seed=1, fraction=0.3, jobs=2, plots=True, names=strategies.ORDER):
    return harness.compare(CORPUS, fraction, seed, list(names), jobs, tmp,
                           old_catalog=catalog_mod.load(str(OLD)), catalog=catalog,
                           plots=plots)


@pytest.fixture(scope="module")
def result(tmp_path_factory, catalog):
    out = tmp_path_factory.mktemp("compare")
    _run(out, catalog)
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return out, rows


def _rows(rows, strategy):
    return [r for r in rows if r["strategy"] == strategy]


def test_csv_has_the_columns_and_a_row_per_policy_and_strategy(result):
    out, rows = result
    with open(out / "results.csv", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert tuple(header) == harness.COLUMNS
    ran = [s for s in strategies.ORDER if s != "policyuniverse" or _policyuniverse()]
    assert {(r["policy"], r["strategy"]) for r in rows} >= {(p, s) for p in POLICIES
                                                             for s in ran}
    assert len(rows) == len(POLICIES) * len(strategies.ORDER)


def test_unparsable_files_are_skipped_and_counted(result):
    out, rows = result
    assert "broken.json" not in {r["policy"] for r in rows}
    assert "did not parse (skipped): 1 (broken.json)" in (out / "summary.md").read_text()


@pytest.mark.parametrize("strategy", ["token-trie", "char-trie", "expand"])
def test_sound_removes_complete_strategies_are_proved(result, strategy):
    _, rows = result
    for r in _rows(rows, strategy):
        assert (r["sound"], r["removes"], r["complete"], r["verdict"]) == \
            ("true", "true", "true", "proved"), r


def test_naive_keeps_unused_actions_behind_wildcards(result):
    _, rows = result
    naive = {r["policy"]: r for r in _rows(rows, "naive")}
    for name in POLICIES:  # every fixture has a wildcard that admits an unused action at 30%
        assert naive[name]["removes"] == "false", naive[name]
        assert naive[name]["sound"] == "true" and naive[name]["complete"] == "true"
        assert naive[name]["counterexample"].startswith("removes: ")


def test_token_trie_is_minimal_and_char_trie_is_not(result):
    _, rows = result
    assert {r["minimal"] for r in _rows(rows, "token-trie")} == {"true"}
    assert "false" in {r["minimal"] for r in _rows(rows, "char-trie")}
    assert {r["minimal"] for r in _rows(rows, "expand")} == {"n/a"}
    assert {r["minimal"] for r in _rows(rows, "naive")} == {"n/a"}


def test_exposure_and_limits_are_reported(result):
    _, rows = result
    for r in rows:
        if r["verdict"] == "skipped":
            continue
        assert r["exposure"].isdigit()
        assert r["over_managed"] in ("true", "false")
        assert int(r["size"]) > 0 and int(r["entries"]) >= 0
    assert {r["exposure"] for r in _rows(rows, "expand")} == {"0"}  # literals admit nothing new
    naive = sum(int(r["exposure"]) for r in _rows(rows, "naive"))
    token = sum(int(r["exposure"]) for r in _rows(rows, "token-trie"))
    assert naive >= token


def test_policyuniverse_runs_or_is_skipped_with_a_note(result):
    _, rows = result
    pu = _rows(rows, "policyuniverse")
    if _policyuniverse():
        assert all(r["verdict"] in ("proved", "refuted", "unknown") for r in pu)
        assert all("our catalog" in r["note"] for r in pu)
    else:
        assert {r["verdict"] for r in pu} == {"skipped"}
        assert all("not installed" in r["note"] for r in pu)


def test_summary_and_plots_are_written(result):
    out, _ = result
    summary = (out / "summary.md").read_text()
    for s in strategies.ORDER:
        assert f"| {s} |" in summary
    assert "removes=false" in summary and "size p90" in summary
    for name in ("size.png", "time.png", "exposure.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name


def _without_timing(path: Path) -> list[dict]:
    """Rows without timings; a counterexample keeps only the property it refutes, because the
    solver may pick another (equally valid, re-checked) action or resource in another process."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [{k: v for k, v in r.items() if k not in harness.TIMING}
                for r in csv.DictReader(f)]
    for row in rows:
        row["counterexample"] = row["counterexample"].split(":")[0]
    return rows


def test_same_seed_same_csv_apart_from_timing(result, tmp_path, catalog):
    out, _ = result
    _run(tmp_path, catalog, jobs=1, plots=False)
    assert _without_timing(tmp_path / "results.csv") == _without_timing(out / "results.csv")


def test_a_different_seed_draws_a_different_unused_set(catalog):
    name = "with-deny.json"
    policy = parse_policy((CORPUS / name).read_bytes(), name)
    one = harness.draw_unused(policy, catalog, 0.3, 1, name)
    again = harness.draw_unused(policy, catalog, 0.3, 1, name)
    other = harness.draw_unused(policy, catalog, 0.3, 2, name)
    assert one == again and one != other
    assert len(one.actions) == round(0.3 * len(harness.allowed_actions(policy, catalog)))


def test_deny_statements_are_untouched_by_every_strategy(catalog):
    from verify_refine.inputs.findings import UnusedSet
    name = "with-deny.json"
    policy = parse_policy((CORPUS / name).read_bytes(), name)
    unused = UnusedSet(actions=("s3:DeleteObject", "s3:GetObject"), services=(), unknown=())
    for sname, fn in strategies.STRATEGIES.items():
        try:
            doc = fn(policy, catalog, unused)
        except strategies.Skipped:
            continue
        assert doc["Statement"][-1] == dict(policy.statements[-1].members), sname


def test_char_trie_takes_the_shortest_safe_character_prefix(catalog):
    from verify_refine.inputs.findings import UnusedSet
    text = b'{"Statement": {"Effect": "Allow", "Action": "s3:GetBucket*", "Resource": "*"}}'
    policy = parse_policy(text, "p.json")
    unused = UnusedSet(actions=("s3:GetBucketAcl", "s3:GetBucketPolicy"), services=(),
                       unknown=())
    actions = strategies.char_trie(policy, catalog, unused)["Statement"]["Action"]
    # GetBucketLocation and GetBucketLogging share the character prefix "L", not a token one.
    assert "s3:GetBucketL*" in actions and "s3:GetBucketO*" in actions
    assert "s3:GetBucketPolicyStatus" in actions  # one action under its safe prefix: a literal
    assert not any(a.lower().startswith(("s3:getbucketacl", "s3:getbucketpolicy*"))
                   for a in actions)
    tokens = strategies.token_trie(policy, catalog, unused)["Statement"]["Action"]
    assert "s3:GetBucketLocation" in tokens and "s3:GetBucketL*" not in tokens


def test_unknown_strategy_is_an_input_error(tmp_path, catalog):
    from verify_refine.errors import InputError
    with pytest.raises(InputError, match="unknown strategy"):
        harness.compare(CORPUS, 0.3, 1, ["token-trie", "bogus"], 1, tmp_path, catalog=catalog)


def _policyuniverse() -> bool:
    try:
        import policyuniverse  # noqa: F401
    except ImportError:
        return False
    return True


def test_cli_runs_on_the_fixture_corpus(tmp_path):
    import argparse

    from verify_refine.commands import compare as cli
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["compare", "--corpus", str(CORPUS), "--unused-fraction", "0.3",
                              "--seed", "7", "--out", str(tmp_path), "--jobs", "1",
                              "--catalog", str(CATALOG), "--strategies", "token-trie,naive",
                              "--exposure-since", str(OLD)])
    assert cli.run(args) == 0
    rows = list(csv.DictReader(open(tmp_path / "results.csv", encoding="utf-8")))
    assert {r["strategy"] for r in rows} == {"token-trie", "naive"}
    assert {r["seed"] for r in rows} == {"7"}


def test_s3_read_only_managed_policy(tmp_path):
    src = require(MANAGED) / "AmazonS3ReadOnlyAccess.json"
    if not src.exists():
        pytest.skip("AmazonS3ReadOnlyAccess.json is absent from ../shared")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / src.name).symlink_to(src)  # read in place, never copied into the repo
    res = harness.compare(corpus, 0.3, 1, ["token-trie", "naive"], 1, tmp_path / "out",
                          catalog=catalog_mod.load(None), plots=False)
    verdicts = {r["strategy"]: r["verdict"] for r in res["rows"]}
    assert verdicts == {"token-trie": "proved", "naive": "refuted"}
