"""`compare --scheduler`: the strategies run on a Dask cluster, one task per (policy,
strategy), give the very tables of `--jobs 1` (timings apart) whatever order they finish in; a
task that fails gives an unknown row, never a proved one."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
from distributed import LocalCluster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, S3_LAMBDA_CATALOG, run
from verify_refine.compare import harness, strategies

pytest.importorskip("matplotlib", reason="the compare extra (matplotlib) is not installed")

CORPUS = FIXTURES / "compare"
FAST = ("token-trie", "char-trie", "expand", "naive")  # policyuniverse is optional


@pytest.fixture(scope="module")
def threads_cluster():
    """Two Dask workers as threads of this process: they see this test's monkeypatches."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        yield cluster.scheduler_address


def compare(capsys, out: Path, names, seed: str, fraction: str, *how) -> int:
    code, _, err = run(capsys, "compare", "--corpus", CORPUS, "--unused-fraction", fraction,
                       "--seed", seed, "--out", out, "--catalog", S3_LAMBDA_CATALOG,
                       "--strategies", ",".join(names), *how)
    assert code == 0, err
    return code


def tables(out: Path) -> tuple[list[dict], list[list[str]]]:
    """results.csv without its timings (a counterexample by its action only: solvers may
    pick another), and summary.md's lines with the timing columns of its table left out."""
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = [{k: v for k, v in r.items() if k not in harness.TIMING}
                for r in csv.DictReader(f)]
    for row in rows:
        row["counterexample"] = row["counterexample"].split(":")[0]
    lines = (out / "summary.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| strategy |")).split("|")
    timed = {i for i, cell in enumerate(header) if cell.strip().endswith(" s")}
    summary = [[c for i, c in enumerate(line.split("|")) if i not in timed]
               if line.startswith("|") else [line] for line in lines]
    return rows, summary


def test_scheduler_gives_the_tables_of_jobs_1(capsys, tmp_path, threads_cluster):
    compare(capsys, tmp_path / "one", FAST, "1", "0.3", "--jobs", "1")
    compare(capsys, tmp_path / "dask", FAST, "1", "0.3", "--scheduler", threads_cluster)
    one = tables(tmp_path / "one")
    assert len(one[0]) == 6 * len(FAST)  # six policies parse, broken.json is skipped
    assert tables(tmp_path / "dask") == one


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(FAST), min_size=1, max_size=3, unique=True),
       seed=st.integers(0, 10**6).map(str), fraction=st.sampled_from(["0.1", "0.5", "1"]))
def test_any_draw_gives_the_same_tables_on_dask(capsys, tmp_path_factory, threads_cluster,
                                                names, seed, fraction):
    base = tmp_path_factory.mktemp("drawn")
    compare(capsys, base / "one", names, seed, fraction, "--jobs", "1")
    compare(capsys, base / "dask", names, seed, fraction, "--scheduler", threads_cluster)
    assert tables(base / "dask") == tables(base / "one")


def test_a_failed_task_is_an_unknown_row(capsys, tmp_path, monkeypatch, threads_cluster):
    def boom(original, catalog, unused):
        raise RuntimeError("boom")

    monkeypatch.setitem(strategies.STRATEGIES, "naive", boom)
    compare(capsys, tmp_path, ("token-trie", "naive"), "1", "0.3", "--scheduler",
            threads_cluster)
    with open(tmp_path / "results.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    naive = [r for r in rows if r["strategy"] == "naive"]
    assert len(naive) == 6 and {(r["verdict"], r["sound"], r["note"]) for r in naive} == {
        ("unknown", "unknown", "task failed: crash: RuntimeError: boom")}
    assert {r["verdict"] for r in rows if r["strategy"] == "token-trie"} == {"proved"}
    lines = (tmp_path / "summary.md").read_text(encoding="utf-8").splitlines()
    header = [c.strip() for c in next(x for x in lines if x.startswith("| strategy |")).split("|")]
    row = [c.strip() for c in next(x for x in lines if x.startswith("| naive |")).split("|")]
    assert (row[header.index("policies")], row[header.index("unknown")]) == ("6", "6")
