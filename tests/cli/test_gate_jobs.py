"""`gate --jobs N`: certificates checked in worker processes give the very report --jobs 1
gives, each file is read once, a worker that dies costs no certificate, and Ctrl-C stops the
workers and exits 130 with the one line `interrupted`."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.cli.test_cli_contract import assert_clean_interrupt
from tests.cli.test_gate_summary import certify_example, edit_refined
from tests.helpers import SCRIPT, policy_doc, run, script, write_json

PROGRESS = re.compile(r"gate: checked \d+ of \d+ certificates(, \d+ s| in \d+\.\d s)")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """tree/: five certified copies of the two examples, one with its refined policy edited,
    one whose certificate is cut short, one refined policy that no certificate names."""
    base = tmp_path_factory.mktemp("mixed")
    made = {name: certify_example(base / "made" / name, name) for name in ("blog", "deployer")}
    tree = base / "tree"
    for i in range(7):
        shutil.copytree(made["blog" if i % 2 else "deployer"], tree / f"p{i}")
    edit_refined(tree / "p3")
    cert = tree / "p4" / "x.cert.json"
    cert.write_text(cert.read_text()[:200])
    (tree / "p6" / "x.cert.json").unlink()
    return base


def test_any_number_of_jobs_gives_the_same_report(mixed, capsys, monkeypatch):
    monkeypatch.chdir(mixed)
    for fmt in ("text", "json", "sarif"):
        reports = {jobs: run(capsys, "gate", "tree", "--format", fmt, "--jobs", jobs)
                   for jobs in ("1", "2", "3")}
        code, out, _ = reports["1"]
        assert code == 1 and {(c, o) for c, o, _ in reports.values()} == {(code, out)}
    summary = json.loads(run(capsys, "gate", "tree", "--format", "json")[1])["summary"]
    assert (summary["valid"], summary["failed"], summary["uncovered"]) == (4, 2, 2)


AUDIT = """
import os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
tree = os.path.realpath(sys.argv[2])
def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        path = os.path.realpath(args[0])
        if path.startswith(tree + os.sep):
            os.write(log, (path + "\\n").encode())
sys.addaudithook(hook)
from verify_refine.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_file_is_read_once(mixed, tmp_path, jobs):
    """Every certificate, every required file and every file a readable certificate records
    is opened once in all the processes of a run (the hook is inherited by the workers)."""
    opened = tmp_path / "opened.txt"
    done = subprocess.run([sys.executable, "-c", AUDIT, opened, mixed / "tree", "gate", "tree",
                           "--jobs", jobs], cwd=mixed, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    counts = Counter(opened.read_text().splitlines())
    unread = {mixed / "tree" / folder / name for folder in ("p4", "p6")  # no certificate read
              for name in ("policy.json", "unused.json", "catalog.json")}
    expected = {str(p.resolve()) for p in (mixed / "tree").rglob("*.json") if p not in unread}
    assert set(counts) == expected and set(counts.values()) == {1}, counts.most_common(3)


@pytest.fixture(scope="module")
def slow(tmp_path_factory) -> Path:
    """Two certified copies of a policy of four whole services with 30% of their actions
    unused: seconds of checking each."""
    from verify_refine import load_catalog

    folder = tmp_path_factory.mktemp("slow")
    made = folder / "made"
    made.mkdir()
    catalog = load_catalog()
    services = ("ec2", "s3", "iam", "rds")
    actions = [catalog.canonical(a) for s in services for a in catalog.with_prefix(s + ":")]
    write_json(made / "unused.json", random.Random(3).sample(actions, len(actions) * 3 // 10))
    write_json(made / "policy.json", policy_doc(*(s + ":*" for s in services)))
    done = script("refine", made / "policy.json", "--unused", made / "unused.json", "-o",
                  made / "x.refined.json", "--certificate", made / "x.cert.json")
    assert done.returncode == 0, done.stderr
    for name in ("a", "b"):
        shutil.copytree(made, folder / "tree" / name)
    return folder / "tree"


def workers_of(pid: int, count: int, wait_s: float = 60) -> list[int]:
    """The gate's worker processes once COUNT of them run (Linux: /proc's children lists)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            break
        if len(children) >= count:
            return [int(c) for c in children]
        time.sleep(0.02)
    pytest.fail(f"the gate did not start {count} workers")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_worker_costs_no_certificate(slow):
    proc = subprocess.Popen([str(SCRIPT), "gate", slow, "--root", slow, "--format", "json",
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    os.kill(workers_of(proc.pid, 2)[0], signal.SIGKILL)  # as the OOM killer would
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    report = json.loads(out)  # progress, if any, went to stderr, never into the report
    assert report["summary"]["valid"] == 2 and report["results"] == []
    assert all(PROGRESS.fullmatch(line) or line.startswith("root: ")
               for line in err.splitlines()), err


def test_ctrl_c_stops_the_workers(slow):
    proc = subprocess.Popen([str(SCRIPT), "gate", slow, "--root", slow, "--format", "json",
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # its group, as a terminal's
    workers_of(proc.pid, 2)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole group, workers included
    out, err = proc.communicate(timeout=120)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert assert_clean_interrupt(done) and out == ""
    with pytest.raises(ProcessLookupError):  # no worker left running
        os.killpg(proc.pid, 0)
