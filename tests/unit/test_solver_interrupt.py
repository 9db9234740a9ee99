"""Ctrl-C during a z3 search is the user's interrupt, never an unknown answer: z3's own SIGINT handler (on by default) would end the search as `unknown` and swallow the signal, and the run would go on as if a query had timed out."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from verify_refine.prove import solver


def pigeons(holes: int) -> str:
    """holes + 1 distinct integers in [0, holes): unsatisfiable, and slow for z3 to show."""
    names = [f"p{i}" for i in range(holes + 1)]
    return "".join(f"(declare-const {n} Int)(assert (and (>= {n} 0) (< {n} {holes})))"
                   for n in names) + f"(assert (distinct {' '.join(names)}))"


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals reach the main thread only")
def test_ctrl_c_during_a_search_is_a_keyboard_interrupt():
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            verdict = solver.solve(pigeons(13), timeout_s=60)
            pytest.fail(f"the search ended as {verdict.status} {verdict.reason!r}, not as "
                        "the interrupt")
    finally:
        timer.cancel()
    assert time.monotonic() - start < 10  # the search was stopped, not waited for
