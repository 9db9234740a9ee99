"""One proof under a wall-time limit: in a forked child (a crash or a hung solver costs that policy only), or in this process (--jobs 1)."""

from __future__ import annotations

import ctypes
import gc
import math
import os
import pickle
import select
import signal
import threading
import time
from dataclasses import dataclass

from ..errors import InputError
from ..inputs.findings import UnusedSet
from ..inputs.guards import Guards
from .certify import certify_entry

PR_SET_PDEATHSIG = 1  # prctl(2)


@dataclass(frozen=True)
class Job:
    """What proving one (policy, unused set) pair needs, catalog apart: sent to a worker."""

    policy: bytes
    source: str
    unused: UnusedSet
    guards: Guards | None
    timeout: float
    refined_source: str
    wall: float  # seconds of wall time before the proof is stopped as unknown
    wall_note: str  # how the row explains that stop


def failed(verdict: str, error: str) -> dict:
    """An entry without a result: verdict `error` or `unknown`, and why."""
    row = {"entries_before": "", "entries_after": "", "catalog_actions_removed": "",
           "size_before": "", "size_after": "", "verdict": verdict, "error": error,
           "warnings": [], "kept": {}}
    return {"row": row, "refined": None, "cert": None}


def guarded(job: Job, catalog) -> dict:
    """certify_entry, a failure reported in the entry: bad input, or a bug (a crash)."""
    try:
        return certify_entry(job.policy, job.source, job.unused, catalog, job.timeout,
                             refined_source=job.refined_source, guards=job.guards)
    except InputError as exc:
        return failed("error", str(exc))
    except Exception as exc:  # a bug: reported in the row, the other policies go on
        return failed("error", f"crash: {type(exc).__name__}: {exc}")


class WallTimeExceeded(KeyboardInterrupt):
    """Raised by the wall-time alarm in this process. It is a KeyboardInterrupt so that it
    unwinds the way Ctrl-C does, cancelling a z3 search under way (prove/solver.py)."""


def in_process(job: Job, catalog) -> dict:
    """The proof in this process (--jobs 1: no fork, debuggers work), stopped as unknown
    after job.wall seconds when this is the main thread (an alarm signal)."""
    if threading.current_thread() is not threading.main_thread():
        return guarded(job, catalog)

    def expire(signum, frame):
        raise WallTimeExceeded

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, job.wall)
    try:
        return guarded(job, catalog)
    except WallTimeExceeded:
        return failed("unknown", job.wall_note)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def forked(job: Job, catalog) -> dict:
    """The proof in a forked child that sends its entry back through a pipe: killed after
    job.wall seconds (unknown); a child that dies without an answer is an error row."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(job, catalog, read_end, write_end)
    os.close(write_end)
    try:
        data, expired = _receive(read_end, time.monotonic() + job.wall)
    finally:
        os.close(read_end)
    if expired:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if expired:
        return failed("unknown", job.wall_note)
    try:
        return pickle.loads(data)
    except Exception:  # nothing, or part of an answer: the child died
        code = os.waitstatus_to_exitcode(status)
        return failed("error", f"crash: the worker stopped (exit code {code})")


def _child(job: Job, catalog, read_end: int, write_end: int) -> None:
    """In the forked child: prove, write the pickled entry, exit without cleanup. An alarm
    ends a child whose parent died, once the wall time is up."""
    code = 0
    try:
        os.close(read_end)
        _die_with_parent()
        gc.callbacks.clear()  # the worker's hooks (Dask's GC diagnosis) watch the worker
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(math.ceil(job.wall) + 1)
        data = pickle.dumps(guarded(job, catalog))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: this child is killed when the worker that forked it goes (a cluster closed on
    Ctrl-C, a worker killed), instead of proving on for nobody."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the alarm still bounds the child
        pass


def _receive(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything written to fd until its end, or what came before the deadline and True."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
