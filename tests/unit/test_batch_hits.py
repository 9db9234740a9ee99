"""A batch's cache look-ups shared among forked processes: every look-up recorded exactly once
(hits as they come, then the misses in order), the cache counts of every process added up, a
Ctrl-C keeping what finished, and a process that dies leaving its share to this one."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from verify_refine.batch import hits
from verify_refine.batch.cache import ProofCache

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


def recorder():
    recorded: list[tuple[int, str, dict | None]] = []
    return recorded, lambda i, name, row: recorded.append((i, name, row))


def test_every_look_up_is_recorded_once_hits_first_then_the_misses_in_order():
    proofs = ProofCache(None)
    recorded, record = recorder()
    hits.look_up(COUNT, looked_up(proofs), proofs, 2, record)
    assert sorted(i for i, _, _ in recorded) == list(range(COUNT))
    assert all(name == f"key-{i}" for i, name, _ in recorded)
    misses = [i for i, _, row in recorded if row is None]
    assert misses == list(range(0, COUNT, 3))
    assert [i for i, _, _ in recorded[-len(misses):]] == misses  # after every hit
    pids = {row["pid"] for _, _, row in recorded if row is not None}
    assert os.getpid() not in pids and len(pids) == 2  # shared between two forked processes
    assert (proofs.hits, proofs.misses) == (COUNT - len(misses), len(misses))
    assert sorted(proofs.notes) == ["note 0", "note 1"]  # each note once, whichever process


def test_few_look_ups_or_one_process_stay_in_this_process():
    for count, processes in ((hits.FORK_MIN - 1, 2), (COUNT, 1)):
        proofs = ProofCache(None)
        recorded, record = recorder()
        hits.look_up(count, looked_up(proofs), proofs, processes, record)
        assert sorted(i for i, _, _ in recorded) == list(range(count))
        assert {row["pid"] for _, _, row in recorded if row} == {os.getpid()}


def test_ctrl_c_keeps_every_look_up_that_finished_and_records_it_once(tmp_path):
    proofs = ProofCache(None)
    recorded, record = recorder()
    one = looked_up(proofs, tmp_path, slow=0.001)
    parent = os.getpid()

    def interrupted(i: int):
        if i == hits.CHUNK // 2 and os.getpid() != parent:
            os.kill(parent, signal.SIGINT)  # the user's Ctrl-C, to the batch process
        return one(i)

    with pytest.raises(KeyboardInterrupt):
        hits.look_up(COUNT, interrupted, proofs, 2, record)
    done = sorted(int(p.name) for p in tmp_path.iterdir())
    hit = [i for i, _, row in recorded if row is not None]
    assert sorted(hit) == [i for i in done if i % 3] and len(set(hit)) == len(hit)
    assert len(done) < COUNT  # it stopped


def test_a_process_that_dies_leaves_its_look_ups_to_this_one():
    proofs = ProofCache(None)
    recorded, record = recorder()
    one = looked_up(proofs)
    parent = os.getpid()

    def dying(i: int):
        if i == hits.CHUNK + 5 and os.getpid() != parent:
            os._exit(9)  # as a process killed from outside
        return one(i)

    hits.look_up(COUNT, dying, proofs, 2, record)
    assert sorted(i for i, _, _ in recorded) == list(range(COUNT))
    assert (proofs.hits, proofs.misses) == (sum(1 for i in range(COUNT) if i % 3),
                                            len(range(0, COUNT, 3)))
