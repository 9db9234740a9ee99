"""The gate's certificates checked in worker processes, the outcomes in the order of the paths."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .. import workers
from ..verdict import Problem
from .check import CertOutcome, Checker

WAKE_S = 1.0  # how often the parent looks at the clock for progress while workers check

_checker: Checker | None = None  # the worker's checker, inherited from the parent by fork


def _start_worker(checker: Checker) -> None:
    global _checker
    workers.start()  # Ctrl-C is the parent's to handle
    _checker = checker


def _check_in_worker(path: str) -> CertOutcome:
    return _checker.check(path)


def check_all(checker: Checker, paths: list[str], jobs: int, progress) -> list[CertOutcome]:
    """Every certificate's outcome, outcomes[i] that of paths[i], whatever the number of jobs:
    in this process for one job (or one certificate), else in `jobs` forked workers, each
    certificate read and checked once. A worker that dies (a crash, the kernel's OOM killer)
    costs no certificate: those it left unchecked are checked again, each in a process of its
    own, and one that kills that process too fails closed (VR-unreadable)."""
    processes = min(jobs, len(paths))
    if processes <= 1:
        outcomes = []
        for path in paths:
            outcomes.append(checker.check(path))
            progress.advance()
        return outcomes
    outcomes = _in_pool(checker, paths, processes, progress)
    for i, outcome in enumerate(outcomes):
        if outcome is None:
            outcomes[i] = _alone(checker, paths[i])
    return outcomes


def _in_pool(checker, paths, processes, progress) -> list[CertOutcome | None]:
    """The outcomes the workers returned; None where a worker died before returning one."""
    outcomes: list[CertOutcome | None] = [None] * len(paths)
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(checker,))
    try:
        with workers.forking():  # the pool forks its workers as the work is submitted
            index = {pool.submit(_check_in_worker, path): i for i, path in enumerate(paths)}
        pending = set(index)
        while pending:
            done, pending = wait(pending, timeout=WAKE_S, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    outcomes[index[future]] = future.result()
                except BrokenProcessPool:
                    pass  # checked again on its own
            progress.advance(len(done))
    except BaseException:  # Ctrl-C: stop the workers now rather than after their certificate
        _terminate(pool)
        raise
    pool.shutdown(wait=True)
    return outcomes


def _terminate(pool: ProcessPoolExecutor) -> None:
    # Python 3.11 has no public way to stop the workers (3.14 adds terminate_workers).
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _alone(checker: Checker, path: str) -> CertOutcome:
    """One certificate checked in a process of its own; one that kills it fails closed."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(checker,))
    try:
        with workers.forking():
            future = pool.submit(_check_in_worker, path)
        return future.result()
    except BrokenProcessPool:
        message = ("the process checking this certificate stopped before it finished (a crash, "
                   "or killed for memory); check it alone with `verify-refine check`")
        return CertOutcome(path, status="unreadable", problems=[
            Problem("VR-unreadable", message, file=path, line=1, column=1, certificate=path)])
    except BaseException:
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True)
