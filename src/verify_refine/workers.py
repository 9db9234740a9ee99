"""Forked worker processes that never see Ctrl-C: SIGINT stays blocked across the fork and is
ignored in the child before the child unblocks it, so no interrupt can reach a worker in the
instant between its fork and its first line of our code (a traceback on the terminal)."""

from __future__ import annotations

import contextlib
import signal


@contextlib.contextmanager
def forking():
    """Around code that forks workers: SIGINT is blocked in this thread meanwhile, and an
    interrupt that arrives is delivered when the block ends (never lost)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start() -> None:
    """First thing in a forked worker: Ctrl-C is the parent's to handle. Ignoring SIGINT also
    drops one that arrived while it was blocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
