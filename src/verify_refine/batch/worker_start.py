"""Dask worker preload for batch's local cluster: the worker ignores Ctrl-C, which is the batch process's to handle."""

from __future__ import annotations

import signal


def dask_setup(worker) -> None:
    """Run by Dask in each worker process as it starts (a restarted one included): SIGINT
    ignored, so a terminal's Ctrl-C, sent to the whole process group, prints no traceback
    from a worker and leaves the batch process to stop the run."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
