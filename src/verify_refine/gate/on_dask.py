"""The gate's certificates checked on the Dask cluster of --scheduler, the outcomes in the order of the paths."""

from __future__ import annotations

import os

from .. import engine
from ..verdict import Problem
from .check import CertOutcome, Checker


def _check(path: str, folder: str, checker: Checker) -> CertOutcome:
    """The task run on a worker: one certificate checked. A worker started in another folder
    than the gate reads the files at their absolute paths (the cluster must share the file
    system); the outcome keeps the path as the gate found it."""
    where = path if os.getcwd() == folder else os.path.join(folder, path)
    outcome = checker.check(where)
    outcome.path = path
    return outcome


def _failed(path: str, why: str) -> CertOutcome:
    """The outcome of a certificate whose task failed on the cluster: it fails closed."""
    message = (f"the dask task checking this certificate failed ({why}); check it alone with "
               "`verify-refine check`")
    return CertOutcome(path, status="unreadable", problems=[
        Problem("VR-unreadable", message, file=path, line=1, column=1, certificate=path)])


def check_all(checker: Checker, paths: list[str], address: str, progress
              ) -> list[CertOutcome]:
    """Every certificate's outcome, outcomes[i] that of paths[i], each checked once on the
    cluster whose scheduler is at ADDRESS (an unreachable one is a usage error); progress is
    told of each as it finishes, in any order. On Ctrl-C the interrupt goes on up."""
    cluster = engine.Cluster(address, 1)
    outcomes: list[CertOutcome | None] = [None] * len(paths)

    def deliver(path: str, outcome: CertOutcome) -> None:
        outcomes[index[path]] = outcome
        progress.advance()

    index = {path: i for i, path in enumerate(paths)}
    try:
        if paths:
            work = {path: (path, os.getcwd()) for path in paths}
            cluster.map(_check, work, checker, deliver, _failed)
    finally:
        cluster.close()
    return outcomes
