"""The gate's progress on stderr: a line every so many certificates or seconds, none at first."""

from __future__ import annotations

import time

QUIET_S = 2.0  # a run shorter than this prints no progress at all
EVERY_S = 5.0  # at most this long between two lines while certificates finish
EVERY_N = 100  # or a line each time this many more certificates have been checked


class Progress:
    """Counts checked certificates and writes `gate: checked 200 of 1000 certificates, 9 s`
    to a stream (stderr: stdout carries the report) when EVERY_N more are done or EVERY_S
    seconds have passed since the last line, whichever comes first, but never in the first
    QUIET_S seconds; the same lines on a terminal and in a CI log. `finish` adds the total
    time when anything was printed or the run took QUIET_S or more."""

    def __init__(self, total: int, stream, clock=time.monotonic):
        self.total, self.stream, self.clock = total, stream, clock
        self.done = 0
        self.start = self.last_time = clock()
        self.last_done = 0
        self.lines = 0

    def advance(self, count: int = 1) -> None:
        """COUNT more certificates checked (0: only look at the clock)."""
        self.done += count
        now = self.clock()
        if now - self.start < QUIET_S or self.done >= self.total:  # the last line is finish's
            return
        if self.done - self.last_done >= EVERY_N or now - self.last_time >= EVERY_S:
            self._write(f"gate: checked {self.done} of {self.total} certificates, "
                        f"{now - self.start:.0f} s")
            self.last_time, self.last_done = now, self.done

    def finish(self) -> None:
        elapsed = self.clock() - self.start
        if self.lines or elapsed >= QUIET_S:
            self._write(f"gate: checked {self.done} of {self.total} certificates in "
                        f"{elapsed:.1f} s")

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
        self.lines += 1
