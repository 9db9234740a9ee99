"""Running a batch's policies: cached results re-checked and used, each distinct (policy, unused set) proved once, in this process (--jobs 1) or on Dask, every result written as it finishes."""

from __future__ import annotations

import gc
import sys

from ..files import finishing, whole_under_ctrl_c
from ..inputs.account import Task
from ..inputs.guards import Guards
from . import cache, hits, isolate, outpaths, results
from .engine_dask import Cluster
from .progress import Progress

WALL_FACTOR = 30  # a policy's proof may take this many --timeout's of wall time, then stops


def job_of(task: Task, outdir, args) -> isolate.Job:
    """What proving a task needs, besides the catalog."""
    wall = WALL_FACTOR * args.timeout
    original, refined, _ = outpaths.policy_files(outdir, task)
    return isolate.Job(
        policy=task.document, source=str(original),
        unused=task.principal.unused, guards=Guards(tuple(args.keep), args.keep_sid),
        timeout=args.timeout, refined_source=str(refined),
        wall=wall, wall_note=f"stopped after {wall:g} s of wall time ({WALL_FACTOR:g} × "
                             "--timeout)", fit=None if args.fit is None else int(args.fit),
        allow_oversize=args.allow_oversize)


def destination(task: Task, outdir, args) -> results.Destination:
    original, refined, cert = (str(p) for p in outpaths.policy_files(outdir, task))
    return results.Destination(original=original, unused=task.principal.unused_path,
                               refined=refined, cert=cert, catalog=args.catalog)


def run_batch(tasks: list[tuple[Task, object]], catalog, args, proofs: cache.ProofCache,
              cluster: Cluster) -> tuple[list, bool, Progress]:
    """Every (task, its OUTDIR) run, an organization's accounts together, progress on stderr:
    each task's row (None: not run), whether Ctrl-C stopped the run (the finished results are
    kept), and the progress counts."""
    progress = Progress(len(tasks), sys.stderr)
    finished: list = [None] * len(tasks)
    # What was read (accounts, documents, findings) lives until the end: out of the garbage
    # collector's sight meanwhile, so that its full collections do not walk it again and again.
    gc.freeze()
    interrupted = False
    try:
        run_all(tasks, catalog, args, progress, finished, proofs, cluster)
    except KeyboardInterrupt:  # keep what finished: the summary says what did not
        interrupted = True
    finally:
        gc.unfreeze()
        with finishing():  # the results are in: a Ctrl-C while the cluster stops is too late
            cluster.close()
            progress.close(final=False)  # batch prints progress.final_line() last
    return finished, interrupted, progress


def run_all(tasks: list[tuple[Task, object]], catalog, args, progress, rows: list,
            proofs: cache.ProofCache, cluster: Cluster) -> None:
    """rows[i] is set as task i's result is written: from the cache when it holds a proved
    result whose hashes match, else proved, once per distinct key. On Ctrl-C the interrupt
    goes on up, every finished result kept on disk and in rows."""
    jobs = [job_of(task, outdir, args) for task, outdir in tasks]
    digest = catalog.digest()
    waiting: dict[str, list[int]] = {}

    def look_up(i: int) -> tuple[str, dict | None]:
        (task, outdir), job = tasks[i], jobs[i]
        name = cache.key(job.policy, job.unused, job.guards, digest, job.timeout,
                         (job.fit, job.allow_oversize))
        entry = proofs.lookup(name, job.policy, job.source, job.unused, job.guards, catalog,
                              job.timeout)
        if entry is None:
            return name, None
        return name, results.place(entry, destination(task, outdir, args),
                                   task.principal.unused)

    def record(i: int, name: str, row: dict | None) -> None:
        if row is None:
            waiting.setdefault(name, []).append(i)
        else:
            rows[i] = row
            progress.advance(cached=True)

    alone = args.jobs == 1 or bool(args.scheduler)  # a connected client runs threads: no fork
    hits.look_up(len(tasks), look_up, proofs, 1 if alone else args.jobs, record)

    def deliver(name: str, entry: dict) -> None:
        with whole_under_ctrl_c():  # cached, written, set in rows and counted, or none of it
            _deliver(name, entry)

    def _deliver(name: str, entry: dict) -> None:
        problem = proofs.store(name, entry)
        if problem and problem not in proofs.notes:
            proofs.notes.append(problem)
        first = jobs[waiting[name][0]]
        for i in waiting[name]:
            task, outdir = tasks[i]
            rows[i] = results.place(entry, destination(task, outdir, args),
                                    task.principal.unused)
            if i != waiting[name][0] and rows[i]["error"]:  # name this task's own files
                rows[i]["error"] = rows[i]["error"].replace(first.source, jobs[i].source) \
                    .replace(first.refined_source, jobs[i].refined_source)
            progress.advance(cached=False)

    unique = {name: jobs[indices[0]] for name, indices in waiting.items()}
    if args.jobs == 1 and not args.scheduler:
        for name, job in unique.items():
            deliver(name, isolate.run(job, catalog))
    elif unique:
        cluster.run(unique, catalog, deliver)
