"""A batch's proofs on the shared Dask engine (verify_refine.engine): entries handed back in the order they finish."""

from __future__ import annotations

from .. import engine
from . import isolate

ALLOWED_FAILURES, SCHEDULER = engine.ALLOWED_FAILURES, engine.SCHEDULER


def _prove(job: isolate.Job, catalog) -> dict:
    """The task run on a worker: the proof in the worker's thread, under its wall-time limit.
    A crash that kills the worker is retried by Dask on another (KilledWorker in the end)."""
    return isolate.run(job, catalog)


def _error(name: str, why: str) -> dict:
    return isolate.failed("error", why)


class Cluster(engine.Cluster):
    """The engine's cluster, with the batch's one kind of task."""

    def run(self, jobs: dict[str, isolate.Job], catalog, deliver) -> None:
        """Each job a task; deliver(name, entry) as each finishes, in that order. A task
        that keeps killing its workers (KilledWorker) is an error entry; the rest go on."""
        self.map(_prove, {name: (job,) for name, job in jobs.items()}, catalog, deliver,
                 _error)
