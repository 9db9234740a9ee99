"""A batch's cache look-ups (each policy's key, its cached result re-checked and written to its files), shared among forked processes when there are many: a repeated run is mostly these."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..files import whole_under_ctrl_c
from .cache import ProofCache

FORK_MIN = 1000  # policies: fewer are looked up in this process (a fork costs more)
CHUNK = 200  # policies a forked process looks up at a time

# (one, proofs, stop) for the forked processes, set in this process just before they fork
_SHARED: tuple | None = None

One = Callable[[int], tuple[str, dict | None]]  # task index -> (its key, its row or None)


def look_up(count: int, one: One, proofs: ProofCache, processes: int,
            record: Callable[[int, str, dict | None], None]) -> None:
    """record(i, key, row) for each i < count, from one(i): a hit's row (its files written)
    as it comes, then the misses (row None) in index order. With processes > 1, count >=
    FORK_MIN and this process running no other thread (on Linux), the look-ups are shared
    among that many forked processes; their cache counts and notes are added to proofs. On
    Ctrl-C the look-ups under way finish and are recorded, then the interrupt goes on."""
    misses: list[tuple[int, str]] = []

    def take(found: list[tuple[int, str, dict | None]]) -> None:  # under whole_under_ctrl_c
        for i, name, row in found:
            if row is None:
                misses.append((i, name))
            else:
                record(i, name, row)

    left = range(count)
    processes = min(processes, os.cpu_count() or 1)
    # fork only on Linux: macOS's system libraries are not safe to use after a fork
    if processes > 1 and count >= FORK_MIN and threading.active_count() == 1 \
            and sys.platform.startswith("linux"):
        left = _forked(count, one, proofs, processes, take)
    for i in left:
        with whole_under_ctrl_c():  # each result written and recorded whole
            take([(i, *one(i))])
    for i, name in sorted(misses):
        record(i, name, None)


def _forked(count: int, one: One, proofs: ProofCache, processes: int, take) -> list[int]:
    """The look-ups done in forked processes, each chunk's results taken as it finishes;
    returns the indices left undone (a process that died: this process does them)."""
    global _SHARED
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    _SHARED = (one, proofs, stop)
    chunks = [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    done: set[int] = set()
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_ignore_ctrl_c)
    try:
        pending = {pool.submit(_chunk, part.start, part.stop) for part in chunks}
        try:
            _collect(pending, proofs, take, done)
        except KeyboardInterrupt:
            stop.set()  # the chunks under way end at once; theirs finished are kept
            try:
                _collect(pending, proofs, take, done)
            except BrokenProcessPool:  # a process died meanwhile: the interrupt still stands
                pass
            raise
    except BrokenProcessPool:  # a process died: what it had is done here
        pass
    finally:
        _SHARED = None
        pool.shutdown(wait=True, cancel_futures=True)
    return [i for i in range(count) if i not in done]


def _collect(pending: set, proofs: ProofCache, take, done: set[int]) -> None:
    while pending:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            pending.discard(future)
            found, hits, misses, notes = future.result()
            with whole_under_ctrl_c():  # a chunk's results, counts and notes taken whole
                proofs.hits += hits
                proofs.misses += misses
                proofs.notes += [n for n in dict.fromkeys(notes) if n not in proofs.notes]
                take(found)
                done.update(i for i, _, _ in found)


def _ignore_ctrl_c() -> None:
    """In a forked process: Ctrl-C is this batch's to handle (it stops handing out chunks)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunk(start: int, stop_at: int) -> tuple[list, int, int, list[str]]:
    """In a forked process: the look-ups of tasks start..stop_at-1 (fewer once Ctrl-C is
    pressed), and the cache counts and notes they added."""
    assert _SHARED is not None
    one, proofs, stop = _SHARED
    hits, misses, notes = proofs.hits, proofs.misses, len(proofs.notes)
    found = []
    for i in range(start, stop_at):
        if stop.is_set():
            break
        found.append((i, *one(i)))
    return found, proofs.hits - hits, proofs.misses - misses, proofs.notes[notes:]
