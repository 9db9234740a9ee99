"""batch stopped with Ctrl-C keeps what finished and says one line; the same command run
again finishes the rest, every principal in the summary exactly once."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_batch_dask import slow_account


def start(auth: Path, out: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "verify_refine", "batch", str(auth), "--findings",
         str(auth.parent / "findings"), "-o", str(out), "--cache", str(cache), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)  # its own process group, which Ctrl-C on a terminal signals


def principals(out: Path) -> list[tuple[str, str]]:
    with open(out / "summary.csv", newline="") as handle:
        return sorted((r["principal"], r["verdict"]) for r in csv.DictReader(handle))


@pytest.mark.slow  # two local clusters started: about 25 s on 2 busy cores
def test_ctrl_c_keeps_what_finished_and_a_rerun_completes(tmp_path):
    auth, out, cache = slow_account(tmp_path, roles=4), tmp_path / "out", tmp_path / "cache"
    proc = start(auth, out, cache)
    deadline = time.monotonic() + 90
    while not list(out.glob("*/*.cert.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C on a terminal: the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.splitlines()[-1] == "interrupted", err
    assert all(line.startswith("batch: ") and " done, " in line
               for line in err.splitlines()[:-1]), err  # progress lines alone
    first = principals(out)
    assert [p for p, _ in first] == [f"role-{n}" for n in range(4)]
    done = [p for p, verdict in first if verdict == "proved"]
    assert done and len(done) < 4
    assert all(v == "error" for p, v in first if p not in done)  # "not run: interrupted"
    again = start(auth, out, cache)
    stdout, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert principals(out) == [(f"role-{n}", "proved") for n in range(4)]
    assert stdout.startswith("batch: 4 policies: 4 proved")
    hits = f"cache hits {100 * len(done) / 4:.0f}% ({len(done)} of 4)"
    assert hits in err
