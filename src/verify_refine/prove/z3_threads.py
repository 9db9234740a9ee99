"""One z3 context per thread: z3 objects of one context must not be used by two threads at once, and a Dask worker runs tasks in several threads."""

from __future__ import annotations

import functools
import threading

import z3

_local = threading.local()


def shared_safely(ctx: z3.Context) -> z3.Context:
    """The context with z3's concurrent dec-ref on: Python's cyclic collector frees a z3
    object in whichever thread it runs, and without it a release from another thread while
    this context's thread is in z3 corrupts z3's memory (a segmentation fault: reproduced by
    tests/unit/test_z3_threads.py)."""
    z3.Z3_enable_concurrent_dec_ref(ctx.ref())
    return ctx


@functools.cache
def _main_context() -> z3.Context:
    """z3's main context, made safe on first use (not at import: a Ctrl-C while the command
    loads would then cut a context in two, and z3 would print a traceback as it went)."""
    return shared_safely(z3.main_ctx())


def context() -> z3.Context:
    """This thread's z3 context: z3's main context in the main thread, else one made for the
    thread on first use and kept for its life (a Dask worker's threads run many tasks)."""
    if threading.current_thread() is threading.main_thread():
        return _main_context()
    made = getattr(_local, "context", None)
    if made is None:
        made = _local.context = shared_safely(z3.Context())
    return made
