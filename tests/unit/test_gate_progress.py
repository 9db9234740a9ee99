"""The gate's progress lines: none in the first seconds, then one per EVERY_N certificates or
EVERY_S seconds, whichever comes first, and a last line with the total time."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from verify_refine.gate.progress import EVERY_N, EVERY_S, QUIET_S, Progress


class Clock:
    """Seconds that the test moves on by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_short_run_says_nothing():
    clock, out = Clock(), io.StringIO()
    ticker = Progress(500, out, clock)
    for _ in range(500):  # many certificates, but all within QUIET_S
        clock.now += (QUIET_S - 0.1) / 500
        ticker.advance()
    ticker.finish()
    assert out.getvalue() == ""


def test_lines_per_count_and_per_time():
    clock, out = Clock(), io.StringIO()
    ticker = Progress(1000, out, clock)
    clock.now += QUIET_S
    ticker.advance(EVERY_N)  # EVERY_N certificates since the start: a line
    assert lines(out) == [f"gate: checked {EVERY_N} of 1000 certificates, 2 s"]
    clock.now += EVERY_S - 0.5
    ticker.advance(EVERY_N - 1)  # neither enough certificates nor enough time
    assert len(lines(out)) == 1
    clock.now += 0.5
    ticker.advance(0)  # nothing finished, but EVERY_S since the last line: a line
    assert lines(out)[-1] == f"gate: checked {2 * EVERY_N - 1} of 1000 certificates, 7 s"
    ticker.finish()
    assert lines(out)[-1] == f"gate: checked {2 * EVERY_N - 1} of 1000 certificates in 7.0 s"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 3), st.integers(0, 40)), max_size=200))
def test_never_quiet_too_long_never_too_chatty(steps):
    """Whatever the rhythm: no line in the first QUIET_S seconds; between two lines either
    EVERY_N certificates or EVERY_S seconds; a final line once the run took QUIET_S."""
    clock, out = Clock(), io.StringIO()
    start = clock.now
    ticker = Progress(10_000, out, clock)
    printed = []  # (time, done) of each line
    for dt, n in steps:
        clock.now += dt
        before = len(lines(out))
        ticker.advance(n)
        if len(lines(out)) > before:
            printed.append((clock.now, ticker.done))
    for when, done in printed:
        assert when - start >= QUIET_S
    previous = (start, 0)
    for when, done in printed:
        assert done - previous[1] >= EVERY_N or when - previous[0] >= EVERY_S
        previous = (when, done)
    ticker.finish()
    assert bool(out.getvalue()) == (clock.now - start >= QUIET_S or bool(printed))


def test_the_last_certificate_gets_one_line_with_the_total_time():
    clock, out = Clock(), io.StringIO()
    ticker = Progress(EVERY_N, out, clock)
    clock.now += EVERY_S + QUIET_S
    ticker.advance(EVERY_N)  # all done: the line is finish's, not one more
    assert out.getvalue() == ""
    ticker.finish()
    assert lines(out) == [f"gate: checked {EVERY_N} of {EVERY_N} certificates in 7.0 s"]
