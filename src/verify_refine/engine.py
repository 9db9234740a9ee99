"""The Dask engine shared by batch, gate and compare: a function over items on a local cluster of processes or the cluster of --scheduler, each result handed back as it finishes."""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import warnings

from .errors import UsageError

ALLOWED_FAILURES = 2  # a task that has killed this many workers (and one more) is an error
# The local scheduler's settings: a worker is handed only the task it runs (saturation 1.0),
# so that when a task kills its worker no task merely queued there is blamed for it too.
# A task no worker can take for NO_WORKERS_S (every local worker gone and none restarted)
# fails, an error row for it, instead of the run waiting for ever.
NO_WORKERS_S = 120
# Local workers run without Dask's sampling profiler (it samples every thread's stack 100
# times a second for a dashboard a batch does not start) and without the MALLOC_TRIM_THRESHOLD_
# Dask puts in their environment: it hands memory back to the system at once, so that z3's
# and Python's allocations fault their pages in again and again (a quarter of a worker's CPU
# went to the kernel; docs/PERFORMANCE.md). A variable set in the user's environment stays.
SCHEDULER = {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
             "distributed.scheduler.worker-saturation": 1.0,
             "distributed.scheduler.no-workers-timeout": f"{NO_WORKERS_S}s",
             "distributed.worker.profile.enabled": False,
             "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
CONNECT_S = 15  # how long to wait for the scheduler of --scheduler
PRELOAD = "verify_refine.batch.worker_start"  # run in each local worker as it starts
KILLED = "the task stopped every worker that ran it (dask's allowed failures)"
# A task no worker took within the scheduler's no-workers-timeout (NoWorkerError, or
# NoValidWorkerError when it had restrictions)
NO_WORKER = "not run: no Dask worker was there to take it (the scheduler's no-workers-timeout)"
# Items go to Dask in chunks: a Dask task costs about 15 ms of CPU across scheduler, worker
# and client (measured; docs/PERFORMANCE.md), as much as proving a typical policy. A chunk
# holds at most CHUNK_MAX items, and few enough that every worker gets CHUNKS_PER_WORKER.
# 64 rather than 16 took a tenth off a cold batch's CPU (the event loops of the workers and
# of the scheduler) and leaves a worker at most a second or so of tail.
CHUNK_MAX = 64
CHUNKS_PER_WORKER = 4
# Chunks handed to the cluster at once, per worker thread; the next goes as one finishes, so
# that the scheduler (in this process, for a local cluster) holds a window of the work, not
# all of it. Three keep a worker busy (one running, the next waiting at the scheduler) with
# chunks of CHUNK_MAX, and hold fewer policies in flight than eight such chunks would.
IN_FLIGHT = 3


def chunk_size(items: int, workers: int, chosen: int | None = None) -> int:
    """Items per Dask task: CHOSEN (--chunk) when given, else as above."""
    if chosen:
        return chosen
    return max(1, min(CHUNK_MAX, items // max(1, workers * CHUNKS_PER_WORKER)))


def _run_chunk(function, chunk: list, shared) -> list:
    """The task run on a worker: function(*arguments, shared) for each (key, arguments) of
    the chunk, in turn; an exception is that item's outcome (the rest go on)."""
    done = []
    for key, arguments in chunk:
        try:
            done.append((key, True, function(*arguments, shared)))
        except Exception as exc:  # the item failed on the worker
            done.append((key, False, f"crash: {type(exc).__name__}: {exc}"))
    return done


def _same(value):
    """Shared data as a task's result, not scattered data: a task's input is kept by the
    scheduler, so Dask computes it again when every worker that held it has died."""
    return value


@contextlib.contextmanager
def quiet():
    """Dask's own log lines (workers starting and stopping) kept off the user's stderr."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():  # another cluster on this machine holds Dask's port
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use",
                                    category=UserWarning)
            yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """While the local workers start: SIGINT ignored, a disposition the spawned worker
    processes inherit (a terminal's Ctrl-C reaches the whole process group, and only this
    process is to act on it). A Ctrl-C in these seconds is lost."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Cluster:
    """The Dask client a command uses: connected to ADDRESS at once (an unreachable
    scheduler is a usage error before any work), or a local cluster started on first use."""

    def __init__(self, address: str | None, workers: int, chunk: int | None = None):
        self.address, self.workers, self.chunk = address, workers, chunk
        self.client = self.local = None
        if address:
            self._connect()

    def _connect(self, needed: int = 0) -> None:
        import dask
        from distributed import Client, LocalCluster

        with quiet(), dask.config.set(SCHEDULER):
            if self.address:
                try:
                    self.client = Client(self.address, timeout=CONNECT_S)
                except (OSError, TimeoutError, ValueError) as exc:
                    raise UsageError(f"--scheduler: cannot reach the dask scheduler "
                                     f"`{self.address}`: {exc}") from None
                return
            with _workers_ignore_ctrl_c():  # and workers restarted later: the preload
                self.local = LocalCluster(n_workers=max(1, min(self.workers, needed)),
                                          threads_per_worker=1, processes=True,
                                          dashboard_address=None,
                                          silence_logs=logging.CRITICAL,
                                          preload=[PRELOAD])
            self.client = Client(self.local)

    def map(self, function, items: dict, shared, deliver, failed,
            chunk: int | None = None) -> None:
        """function(*items[key], shared) for each key, in Dask tasks of chunk_size() keys;
        deliver(key, result) as each task finishes, in that order. A key whose function
        raises, or whose single-key task keeps killing its workers (KilledWorker), gives
        deliver(key, failed(key, why)) instead; a chunk that keeps killing workers is run
        again one key a task, so that only the killer fails. Ctrl-C goes on up with the
        finished results delivered."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker, NoValidWorkerError, NoWorkerError

        if self.client is None:
            self._connect(len(items))
        size = chunk_size(len(items), self.worker_count(), chunk or self.chunk)
        pairs = list(items.items())
        with quiet():
            data = self.client.submit(_same, shared, pure=False)  # made again if lost
            pending = as_completed()
            futures: dict = {}

            def submit(part: list) -> None:
                future = self.client.submit(_run_chunk, function, part, data, pure=False)
                futures[future] = part
                pending.add(future)

            chunks = (pairs[start:start + size] for start in range(0, len(pairs), size))
            for part in itertools.islice(chunks, IN_FLIGHT * self.worker_count()):
                submit(part)
            for future in pending:
                part = futures.pop(future)
                following = next(chunks, None)  # one finished, one more handed out
                if following is not None:
                    submit(following)
                try:
                    done = future.result()
                except KilledWorker:
                    if len(part) > 1:
                        for one in part:
                            submit([one])
                        continue
                    done = [(part[0][0], False, f"crash: {KILLED}")]
                except (NoWorkerError, NoValidWorkerError):
                    done = [(key, False, NO_WORKER) for key, _ in part]
                except Exception as exc:  # the chunk itself failed (not one item)
                    done = [(key, False, f"crash: {type(exc).__name__}: {exc}")
                            for key, _ in part]
                future.release()
                for key, ok, result in done:
                    deliver(key, result if ok else failed(key, result))

    def worker_count(self) -> int:
        """Worker threads of the cluster (the local one's size before it starts)."""
        if self.client is None:
            return max(1, self.workers)
        threads = sum(w.get("nthreads", 1) for w in
                      self.client.scheduler_info().get("workers", {}).values())
        return max(1, threads)

    def close(self) -> None:
        with quiet():
            if self.client is not None:
                self.client.close()
            if self.local is not None:
                self.local.close()
