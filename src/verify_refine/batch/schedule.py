"""Running a batch's policies in parallel: each in its own forked process, a crash or a hung
solver costing that policy only; progress on a terminal."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing import connection

from .. import workers
from ..errors import InputError
from ..inputs.account import Task
from ..inputs.guards import Guards
from . import outpaths
from .certify import refine_and_certify

WALL_FACTOR = 30  # a policy's proof may take this many --timeout's of wall time, then stops

def _child(task: Task, catalog, args, send) -> None:
    workers.start()  # Ctrl-C is the parent's to handle
    try:
        row = _run_task(task, catalog, args)
    except InputError as exc:  # e.g. a file that cannot be written
        row = {"verdict": "error", "error": str(exc)}
    except Exception as exc:  # a bug: report it in the row, the other policies go on
        row = {"verdict": "error", "error": f"crash: {type(exc).__name__}: {exc}"}
    send.send(row)
    send.close()


def _run_task(task: Task, catalog, args) -> dict:
    original, refined, cert = (str(p) for p in outpaths.policy_files(args.output, task))
    return refine_and_certify(
        task.document, original, task.principal.unused, catalog, refined, cert, args.timeout,
        unused_path=task.principal.unused_path, catalog_path=args.catalog,
        guards=Guards(tuple(args.keep), args.keep_sid), fit=args.fit,
        allow_oversize=args.allow_oversize)


def run_all(tasks: list[Task], catalog, args, progress, rows: list) -> None:
    """Each task in its own forked process, `args.jobs` at a time: a crash or a hung solver
    costs that policy only. rows[i] is set as task i finishes; on Ctrl-C the workers still
    running are stopped and the interrupt goes on up, the finished rows kept."""
    running: dict = {}  # receiving end -> (index, process, start time)
    try:
        _schedule(tasks, catalog, args, progress, rows, running)
    finally:
        for _, process, _ in running.values():
            process.kill()
            process.join()


def _schedule(tasks, catalog, args, progress, rows, running) -> None:
    ctx = multiprocessing.get_context("fork")
    wall = WALL_FACTOR * args.timeout
    waiting = list(range(len(tasks)))
    while waiting or running:
        while waiting and len(running) < args.jobs:
            i = waiting.pop(0)
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_child, args=(tasks[i], catalog, args, send),
                                  daemon=True)
            with workers.forking():
                process.start()
            send.close()
            running[receive] = (i, process, time.monotonic())
        ready = connection.wait([*running, *(p.sentinel for _, p, _ in running.values())],
                                timeout=1.0)
        for receive, (i, process, started) in list(running.items()):
            row = None
            if receive in ready or process.sentinel in ready:
                try:
                    row = receive.recv() if receive.poll() else None
                except (EOFError, OSError):
                    row = None
                process.join(timeout=5)
                if row is None:
                    row = {"verdict": "error",
                           "error": f"crash: the worker stopped (exit code {process.exitcode})"}
            elif time.monotonic() - started > wall:
                process.kill()
                process.join()
                row = {"verdict": "unknown", "error": f"stopped after {wall:g} s of wall "
                                                      f"time ({WALL_FACTOR:g} × --timeout)"}
            if row is not None:
                receive.close()
                del running[receive]
                rows[i] = row
                progress(i, row)


class Progress:
    """`[####....] 12/40` on a terminal, rewritten in place; nothing otherwise."""

    def __init__(self, total: int, stream):
        self.total, self.done, self.stream = total, 0, stream
        self.live = stream.isatty() and total > 0
        self.draw()

    def __call__(self, index, row) -> None:
        self.done += 1
        self.draw()

    def draw(self) -> None:
        if self.live:
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
