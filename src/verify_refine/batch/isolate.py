"""One proof under a wall-time limit, in the calling thread (this process with --jobs 1, a Dask worker's thread otherwise): a proof still running then is stopped as unknown."""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

from ..errors import InputError
from ..inputs.findings import UnusedSet
from ..inputs.guards import Guards
from .certify import certify_entry


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
    fit: int | None = None  # --fit's target in IAM characters
    allow_oversize: bool = False


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
                             refined_source=job.refined_source, guards=job.guards,
                             fit=job.fit, allow_oversize=job.allow_oversize)
    except InputError as exc:
        return failed("error", str(exc))
    except Exception as exc:  # a bug: reported in the row, the other policies go on
        return failed("error", f"crash: {type(exc).__name__}: {exc}")


class WallTimeExceeded(KeyboardInterrupt):
    """Raised in the proving thread when its wall time is up. It is a KeyboardInterrupt so
    that it unwinds the way Ctrl-C does, cancelling a z3 search under way (prove/solver.py
    waits for z3 in a loop of Python code, where such an exception is delivered)."""


def _raise_in(thread_id: int, exception) -> None:
    """Have `exception` raised in that thread at its next bytecode (None: cancel a pending
    one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               None if exception is None
                                               else ctypes.py_object(exception))


def run(job: Job, catalog) -> dict:
    """The proof in this thread, stopped as unknown after job.wall seconds: a timer raises
    WallTimeExceeded in this thread, and one that fires as the proof ends is cancelled, or
    makes the row unknown (it was over time), never anything else."""
    me, lock, state = threading.get_ident(), threading.Lock(), {"done": False, "fired": False}

    def expire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _raise_in(me, WallTimeExceeded)

    timer = threading.Timer(job.wall, expire)
    timer.daemon = True
    try:
        timer.start()
        try:
            return guarded(job, catalog)
        finally:
            timer.cancel()
            with lock:
                state["done"] = True
                if state["fired"]:
                    _raise_in(me, None)
    except WallTimeExceeded:
        return failed("unknown", job.wall_note)
