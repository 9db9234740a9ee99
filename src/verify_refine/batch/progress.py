"""A batch's progress on stderr: a bar on a terminal, a plain line every few seconds in a log; a final line with the throughput and the cache hit rate."""

from __future__ import annotations

import time

EVERY_S = 5.0  # seconds between two plain lines


class Progress:
    """Counts finished policies (`advance`), each from the cache or proved this run."""

    def __init__(self, total: int, stream, clock=time.monotonic):
        self.total, self.stream, self.clock = total, stream, clock
        self.done = self.cached = 0
        self.start = self.last = clock()
        self.live = stream.isatty() and total > 0
        self.bar = None  # started at the first advance: its drawing thread comes after any fork

    def _bar(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        bar = Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                       console=Console(file=self.stream), transient=False)
        self.task = bar.add_task("batch", total=self.total, rate="")
        bar.start()
        return bar

    def rate(self) -> float:
        """Policies finished a second so far."""
        return self.done / max(self.clock() - self.start, 1e-9)

    def hit_rate(self) -> str:
        return f"{100 * self.cached / self.done:.0f}%" if self.done else "0%"

    def advance(self, cached: bool) -> None:
        self.done += 1
        self.cached += cached
        if self.live and self.bar is None:
            self.bar = self._bar()
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done,
                            rate=f"{self.rate():.1f} policies/s, cache {self.hit_rate()}")
        elif self.clock() - self.last >= EVERY_S and self.done < self.total:
            self.last = self.clock()
            self._line(f"batch: {self.done}/{self.total} done, {self.rate():.1f} policies/s, "
                       f"cache {self.hit_rate()}")

    def close(self, final: bool = True) -> None:
        """Stop the bar; with `final`, the last line: how many finished, how fast, how many
        from the cache."""
        if self.bar is not None:
            self.bar.stop()
        self.elapsed = self.clock() - self.start
        if final:
            self._line(self.final_line())

    def final_line(self) -> str:
        """How many finished, in how long, how fast, how many from the cache (after close)."""
        return (f"batch: {self.done} of {self.total} policies in {self.elapsed:.1f} s, "
                f"{self.done / max(self.elapsed, 1e-9):.1f} policies/s; cache hits "
                f"{self.hit_rate()} ({self.cached} of {self.done})")

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
