"""batch's progress: a bar with done/total, rate and time left on a terminal; a plain line
every few seconds otherwise; a last line with the throughput and the cache hit rate."""

from __future__ import annotations

import io

from verify_refine.batch.progress import EVERY_S, Progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_plain_line_every_few_seconds_and_a_last_line():
    out, clock = io.StringIO(), Clock()
    progress = Progress(10, out, clock)
    for n in range(10):
        clock.now += EVERY_S / 2  # two policies per EVERY_S
        progress.advance(cached=n % 2 == 0)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "batch: 2/10 done, 0.4 policies/s, cache 50%"
    assert len(lines) == 5 and all(" done, " in line for line in lines[:-1])
    assert lines[-1] == "batch: 10 of 10 policies in 25.0 s, 0.4 policies/s; cache hits 50% " \
                        "(5 of 10)"
    assert "\r" not in out.getvalue()


def test_an_interrupted_run_has_no_last_line():
    out = io.StringIO()
    progress = Progress(3, out, Clock())
    progress.advance(cached=True)
    progress.close(final=False)
    assert out.getvalue() == ""


def test_a_terminal_gets_a_bar_with_count_rate_and_time_left():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out, clock = Terminal(), Clock()
    progress = Progress(4, out, clock)
    for _ in range(4):
        clock.now += 1
        progress.advance(cached=True)
    progress.close()
    text = out.getvalue()
    assert "4/4" in text and "policies/s, cache 100%" in text
    assert text.splitlines()[-1].endswith("batch: 4 of 4 policies in 4.0 s, 1.0 policies/s; " \
                                              "cache hits 100% (4 of 4)")
