"""A batch's cache look-ups shared among forked processes: every look-up recorded exactly once
(hits as they come, then the misses in order), the cache counts of every process added up, a
Ctrl-C keeping what finished, and a process that dies leaving its share to this one."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from verify_refine.batch import hits
from verify_refine.batch.cache import ProofCache

LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="batch forks its look-ups on Linux only")
COUNT = hits.FORK_MIN + 3 * hits.CHUNK // 2  # enough to fork, and a last chunk cut short


def looked_up(proofs: ProofCache, marks: Path | None = None, slow: float = 0.0):
    """A look-up of task i that hits when i is not a multiple of 3 (the row says which
    process did it), counted in proofs as the cache counts its own; each one done leaves a
    file in marks."""
    def one(i: int) -> tuple[str, dict | None]:
        time.sleep(slow)
        if marks is not None:
            (marks / str(i)).touch()
        hit = i % 3 != 0
        if hit:
            proofs.hits += 1
        else:
            proofs.misses += 1
            proofs.notes.append(f"note {i % 2}")
        return f"key-{i}", {"pid": os.getpid()} if hit else None
    return one


def fresh(scenario, *args):
    """scenario(*args) in a new interpreter, which runs no other thread (batch forks only
    then; a test process may hold threads that earlier tests left), and what it returned."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_returned, args=(results, scenario, args))
    process.start()
    outcome = results.get(timeout=120)
    process.join(30)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _returned(results, scenario, args) -> None:
    try:
        results.put(scenario(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the test to raise
        results.put(exc)


def recorder():
    recorded: list[tuple[int, str, dict | None]] = []
    return recorded, lambda i, name, row: recorded.append((i, name, row))


def looking_up(count: int, processes: int, marks: str | None = None, slow: float = 0.0,
               interrupt_at: int | None = None, die_at: int | None = None) -> dict:
    """look_up of COUNT tasks over PROCESSES: what it recorded, its cache counts and notes,
    its own pid, whether Ctrl-C stopped it. A forked process presses Ctrl-C (sends SIGINT to
    batch) before task interrupt_at, or dies before task die_at."""
    proofs = ProofCache(None)
    recorded, record = recorder()
    one = looked_up(proofs, None if marks is None else Path(marks), slow)
    parent = os.getpid()

    def looked_up_here(i: int):
        if os.getpid() != parent and i == interrupt_at:
            os.kill(parent, signal.SIGINT)  # the user's Ctrl-C, to the batch process
        if os.getpid() != parent and i == die_at:
            os._exit(9)  # as a process killed from outside
        return one(i)

    interrupted = False
    try:
        hits.look_up(count, looked_up_here, proofs, processes, record)
    except KeyboardInterrupt:
        interrupted = True
    return {"recorded": recorded, "counts": (proofs.hits, proofs.misses),
            "notes": proofs.notes, "pid": parent, "interrupted": interrupted}


@LINUX_ONLY
def test_every_look_up_is_recorded_once_hits_first_then_the_misses_in_order():
    run = fresh(looking_up, COUNT, 2)
    recorded = run["recorded"]
    assert sorted(i for i, _, _ in recorded) == list(range(COUNT))
    assert all(name == f"key-{i}" for i, name, _ in recorded)
    misses = [i for i, _, row in recorded if row is None]
    assert misses == list(range(0, COUNT, 3))
    assert [i for i, _, _ in recorded[-len(misses):]] == misses  # after every hit
    pids = {row["pid"] for _, _, row in recorded if row is not None}
    assert run["pid"] not in pids and len(pids) == 2  # shared between two forked processes
    assert run["counts"] == (COUNT - len(misses), len(misses))
    assert sorted(run["notes"]) == ["note 0", "note 1"]  # each note once, whichever process


def test_few_look_ups_or_one_process_stay_in_this_process():
    for count, processes in ((hits.FORK_MIN - 1, 2), (COUNT, 1)):
        run = fresh(looking_up, count, processes)
        assert sorted(i for i, _, _ in run["recorded"]) == list(range(count))
        assert {row["pid"] for _, _, row in run["recorded"] if row} == {run["pid"]}


@LINUX_ONLY
def test_ctrl_c_keeps_every_look_up_that_finished_and_records_it_once(tmp_path):
    run = fresh(looking_up, COUNT, 2, str(tmp_path), 0.001, hits.CHUNK // 2)
    assert run["interrupted"]
    done = sorted(int(p.name) for p in tmp_path.iterdir())
    hit = [i for i, _, row in run["recorded"] if row is not None]
    assert sorted(hit) == [i for i in done if i % 3] and len(set(hit)) == len(hit)
    assert len(done) < COUNT  # it stopped


@LINUX_ONLY
def test_a_process_that_dies_leaves_its_look_ups_to_this_one():
    run = fresh(looking_up, COUNT, 2, None, 0.0, None, hits.CHUNK + 5)
    assert not run["interrupted"]
    assert sorted(i for i, _, _ in run["recorded"]) == list(range(COUNT))
    assert run["counts"] == (sum(1 for i in range(COUNT) if i % 3), len(range(0, COUNT, 3)))
