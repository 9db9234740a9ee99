"""`verify-refine batch` on dask.distributed: a cluster started here and joined with
--scheduler gives the results of the in-process run; a crash, a hung solver and a killed worker
each cost nothing but that policy, or nothing at all."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster, WorkerPlugin

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, inline_account, run
from verify_refine import engine
from verify_refine.batch import engine_dask, schedule
from verify_refine.refine import refiner as refine_mod

ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"


def batch(capsys, out: Path, *more):
    return run(capsys, "batch", ACCOUNT, "--findings", FINDINGS, "-o", out, "--catalog",
               BLOG_CATALOG, "--no-cache", "--skip-aws-managed", *more)


def results(out: Path) -> dict[str, object]:
    """Every file batch wrote, by path; a certificate without the seconds its queries took."""
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            value: object = path.read_text()
            if path.name.endswith(".cert.json"):
                value = json.loads(value)
                for ob in value["obligations"]:
                    del ob["seconds"]
            files[path.relative_to(out).as_posix()] = value
    return files


@pytest.fixture(scope="module")
def threads_cluster():
    """Two Dask workers as threads of this process: they see this test's monkeypatches."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        yield cluster.scheduler_address


def test_scheduler_gives_the_results_of_the_in_process_run(capsys, tmp_path, threads_cluster):
    code_1, stdout_1, _ = batch(capsys, tmp_path / "one", "--jobs", "1")
    code_d, stdout_d, err = batch(capsys, tmp_path / "dask", "--scheduler", threads_cluster)
    assert (code_1, code_d) == (0, 0), err
    assert stdout_d == stdout_1
    one, dask = results(tmp_path / "one"), results(tmp_path / "dask")
    assert len([p for p in one if p.endswith(".cert.json")]) == 5
    assert "summary.md" in one and one.pop("summary.md") != "" and dask.pop("summary.md")
    assert dask == one
    assert "batch: 5 of 5 policies in " in err and "cache hits 0% (0 of 5)" in err


def test_an_unreachable_scheduler_is_a_usage_error_before_anything_is_written(capsys,
                                                                             tmp_path):
    out = tmp_path / "out"
    code, _, err = batch(capsys, out, "--scheduler", "tpc://127.0.0.1:8786")
    assert code == 2 and err.startswith("--scheduler: cannot reach the dask scheduler "
                                        "`tpc://127.0.0.1:8786`: unknown address scheme")
    assert len(err.splitlines()) == 1 and not out.exists()


def test_a_crash_and_a_hang_cost_one_policy_each(capsys, tmp_path, monkeypatch,
                                                threads_cluster):
    real = refine_mod.refine

    def misbehave(policy, catalog, unused):
        if "ci-publish" in policy.source:
            raise RuntimeError("boom")
        if "lambda-deploy" in policy.source:
            while True:  # hung, in Python code (as the prover waits for z3)
                time.sleep(0.05)
        return real(policy, catalog, unused)

    monkeypatch.setattr(refine_mod, "refine", misbehave)
    monkeypatch.setattr(schedule, "WALL_FACTOR", 1.0)
    out = tmp_path / "out"
    start = time.monotonic()
    code, _, _ = batch(capsys, out, "--timeout", "4", "--scheduler", threads_cluster)
    assert time.monotonic() - start < 30
    by_policy = {r["policy"]: (r["verdict"], r["error"]) for r in csv_rows(out)}
    assert by_policy["invoke-and-read"] == ("proved", "")
    assert by_policy["ci-publish"] == ("error", "crash: RuntimeError: boom")
    assert by_policy["read-reports"] == ("proved", "")
    assert by_policy["lambda-deploy"] == ("unknown", "stopped after 4 s of wall time "
                                                     "(1 × --timeout)")
    assert code == 1


def test_a_cluster_without_workers_fails_each_policy_instead_of_waiting_for_ever(capsys,
                                                                                  tmp_path):
    """A scheduler that no worker joins: after its no-workers timeout every policy is an error
    row saying so, nothing is certified, and batch ends (exit 1)."""
    with dask.config.set({"distributed.scheduler.no-workers-timeout": "1s"}), \
            LocalCluster(n_workers=0, processes=False, dashboard_address=None,
                         silence_logs=logging.CRITICAL) as cluster:
        code, _, err = batch(capsys, tmp_path / "out", "--scheduler", cluster.scheduler_address)
    assert code == 1, err
    rows = csv_rows(tmp_path / "out")
    assert len(rows) == 5
    assert {(r["verdict"], r["error"]) for r in rows} == {("error", engine.NO_WORKER)}
    assert not list((tmp_path / "out").rglob("*.cert.json"))


def csv_rows(out: Path) -> list[dict]:
    import csv

    with open(out / "summary.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def slow_account(folder: Path, roles: int) -> Path:
    """Roles with `ec2:*` and a different half of EC2's actions unused each: about a second
    of proving a role on a quiet machine, no two alike."""
    import random

    from verify_refine import load_catalog

    catalog = load_catalog()
    actions = sorted(catalog.canonical(a) for a in catalog.with_prefix("ec2:"))
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    return inline_account(folder, {
        f"role-{n}": (document, random.Random(n).sample(actions, len(actions) // 2))
        for n in range(roles)})


class CrashOn(WorkerPlugin):
    """A worker plugin (so it reaches every worker, restarted ones too): a policy whose
    source names `marker` kills the worker process that refines it; the first worker to
    refine a policy whose source names `pause` writes its process id to `folder`/pid and
    waits there to be killed (the test does it), the retried task then going on as usual."""

    name = "crash-on"

    def __init__(self, marker: str, pause: str, folder: str):
        self.marker, self.pause, self.folder = marker, pause, folder

    def setup(self, worker) -> None:
        from verify_refine.refine import refiner

        real, marker, pause, folder = refiner.refine, self.marker, self.pause, Path(self.folder)

        def refine(policy, catalog, unused):
            if marker in policy.source:
                os._exit(9)
            if pause in policy.source and not (folder / "killed").exists():
                (folder / "pid.tmp").write_text(str(os.getpid()))
                (folder / "pid.tmp").rename(folder / "pid")
                time.sleep(120)  # killed long before
            return real(policy, catalog, unused)

        refiner.refine = refine


@pytest.mark.slow  # a cluster of processes, workers killed and restarted: about 20 s
def test_killed_workers_lose_no_result_and_a_killer_task_is_an_error_row(tmp_path):
    auth = slow_account(tmp_path, roles=4)
    details = json.loads(auth.read_text())
    details["RoleDetailList"].append(dict(details["RoleDetailList"][0], RoleName="crasher",
                                          Arn="arn:aws:iam::111122223333:role/crasher"))
    details["RoleDetailList"][-1]["RolePolicyList"] = [
        {"PolicyName": "kills-its-worker",
         "PolicyDocument": details["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"]}]
    auth.write_text(json.dumps(details))
    (tmp_path / "findings" / "crasher.json").write_text('["ec2:RunInstances"]')
    signals = tmp_path / "signals"
    signals.mkdir()
    with dask.config.set({**engine_dask.SCHEDULER,
                          "distributed.scheduler.allowed-failures": 1}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        client.register_plugin(CrashOn("kills-its-worker", "role-2", str(signals)))
        proc = subprocess.Popen(
            [sys.executable, "-m", "verify_refine", "batch", str(auth), "--findings",
             str(tmp_path / "findings"), "-o", str(tmp_path / "out"), "--no-cache",
             "--scheduler", cluster.scheduler_address],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = kill_the_waiting_worker(signals)
        out, err = proc.communicate(timeout=180)
    assert killed, "no worker was ever seen proving role-2"
    assert proc.returncode == 1, err
    rows = {r["principal"]: (r["verdict"], r["error"]) for r in csv_rows(tmp_path / "out")}
    assert rows.pop("crasher") == ("error", "crash: the task stopped every worker that ran it "
                                            "(dask's allowed failures)")
    assert rows == {f"role-{n}": ("proved", "") for n in range(4)}
    assert out.startswith("batch: 5 policies: 4 proved, 0 detach, 0 refuted, 0 unknown, "
                          "1 error")


def kill_the_waiting_worker(signals: Path, within: float = 120) -> bool:
    """Kill (SIGKILL) the worker process that CrashOn left waiting in a task, once it has
    said so, after telling the task's next run to go on."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (signals / "pid").exists():
            (signals / "killed").touch()
            os.kill(int((signals / "pid").read_text()), signal.SIGKILL)
            return True
        time.sleep(0.05)
    return False
