"""`gate --scheduler`: certificates checked on a Dask cluster give the very report `--jobs 1`
gives (text, JSON, SARIF), whatever order the checks finish in; an unreachable scheduler is a
one-line usage error; a worker in another folder reads the files at their absolute paths."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster, WorkerPlugin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.test_gate_summary import certify_example, edit_refined
from tests.helpers import run
from verify_refine import engine
from verify_refine.gate import check as gatecheck
from verify_refine.gate import on_dask

DAMAGES = ("none", "edited", "truncated", "no certificate")


@pytest.fixture(scope="module")
def threads_cluster():
    """Two Dask workers as threads of this process."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """The two examples, each refined and certified once."""
    base = tmp_path_factory.mktemp("made")
    return {name: certify_example(base / name, name) for name in ("blog", "deployer")}


def build(tree: Path, made: dict[str, Path], damages: list[str]) -> None:
    """tree/p<i>: a certified copy of an example, damaged as damages[i] says."""
    for i, damage in enumerate(damages):
        folder = tree / f"p{i}"
        shutil.copytree(made["blog" if i % 2 else "deployer"], folder)
        cert = folder / "x.cert.json"
        if damage == "edited":
            edit_refined(folder)
        elif damage == "truncated":
            cert.write_text(cert.read_text()[:200])
        elif damage == "no certificate":
            cert.unlink()


def reports(capsys, *how) -> dict[str, tuple[int, str]]:
    """The gate's exit code and report over ./tree in each format."""
    found = {}
    for fmt in ("text", "json", "sarif"):
        code, out, _ = run(capsys, "gate", "tree", "--format", fmt, *how)
        found[fmt] = (code, out)
    return found


def test_scheduler_gives_the_report_of_jobs_1(capsys, tmp_path, monkeypatch, made,
                                              threads_cluster):
    build(tmp_path / "tree", made, ["none", "edited", "truncated", "no certificate", "none"])
    monkeypatch.chdir(tmp_path)
    one = reports(capsys, "--jobs", "1")
    assert one["text"][0] == 1
    assert one["text"][1].splitlines()[-1] == ("4 certificates checked, 2 valid, 2 failed, "
                                               "5 required files, 2 uncovered")
    assert reports(capsys, "--scheduler", threads_cluster) == one


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=5))
def test_any_tree_gives_the_same_report_on_dask(capsys, tmp_path_factory, monkeypatch, made,
                                                threads_cluster, damages):
    base = tmp_path_factory.mktemp("drawn")
    build(base / "tree", made, damages)
    monkeypatch.chdir(base)
    one = run(capsys, "gate", "tree", "--format", "json", "--jobs", "1")
    dask = run(capsys, "gate", "tree", "--format", "json", "--scheduler", threads_cluster)
    assert dask[:2] == one[:2]


def test_unreachable_scheduler_is_a_usage_error(capsys, tmp_path, monkeypatch, made):
    build(tmp_path / "tree", made, ["none"])
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "gate", "tree", "--scheduler", "tpc://127.0.0.1:8786")
    assert code == 2 and out == ""
    assert err.startswith("--scheduler: cannot reach the dask scheduler "
                          "`tpc://127.0.0.1:8786`: unknown address scheme")
    assert len(err.splitlines()) == 1


def test_a_worker_in_another_folder_reads_the_absolute_paths(tmp_path, monkeypatch, made):
    build(tmp_path / "tree", made, ["none", "edited"])
    args = Namespace(catalog=None, solver="z3", timeout=30.0, fail_on_drift=False)
    checker = gatecheck.Checker(gatecheck.Catalogs(None), args, str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the worker's folder; the gate's is tmp_path
    valid = on_dask._check("tree/p0/x.cert.json", str(tmp_path), checker)
    edited = on_dask._check("tree/p1/x.cert.json", str(tmp_path), checker)
    assert (valid.path, valid.status) == ("tree/p0/x.cert.json", "valid")
    assert (edited.path, edited.status) == ("tree/p1/x.cert.json", "invalid")


class KillOnCheck(WorkerPlugin):
    """A worker plugin: checking a certificate whose path names `marker` kills the worker
    process (every worker, restarted ones too, gets it)."""

    name = "kill-on-check"

    def __init__(self, marker: str):
        self.marker = marker

    def setup(self, worker) -> None:
        import os

        from verify_refine.gate import check

        real, marker = check.Checker.check, self.marker

        def checked(checker, path):
            if marker in path:
                os._exit(9)
            return real(checker, path)

        check.Checker.check = checked


@pytest.mark.slow  # a cluster of processes whose workers are killed: about 15 s
def test_a_certificate_whose_check_kills_workers_fails_the_gate(tmp_path, made):
    """The check that keeps killing its workers is that certificate's failure (the gate
    fails closed, naming it); every other certificate is checked as usual."""
    build(tmp_path / "tree", made, ["none", "none", "none"])
    shutil.copytree(tmp_path / "tree" / "p0", tmp_path / "tree" / "killer")
    with dask.config.set(engine.SCHEDULER), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        client.register_plugin(KillOnCheck("killer"))
        done = subprocess.run([sys.executable, "-m", "verify_refine", "gate", "tree",
                               "--format", "json", "--scheduler", cluster.scheduler_address],
                              capture_output=True, text=True, cwd=tmp_path, timeout=240)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    by_path = {c["path"]: c for c in report["certificates"]}
    assert by_path.pop("tree/killer/x.cert.json")["status"] == "unreadable"
    assert {c["status"] for c in by_path.values()} == {"valid"} and len(by_path) == 3
    (problem,) = [r for r in report["results"] if r["certificate"] == "tree/killer/x.cert.json"]
    assert problem["rule"] == "VR-unreadable" and engine.KILLED in problem["message"]
