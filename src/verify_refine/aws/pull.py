"""The run of `pull`: check the output folder, meet the account, fetch every principal's data in
a small thread pool, write each principal's files as it finishes, and the manifest last (also
on Ctrl-C, with what finished)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from ..batch import outpaths
from ..errors import InputError, UsageError
from ..files import finishing, write_atomically
from ..jsonout import dumps
from . import account, analyzer, manifest
from .fetch import FINDINGS, Context, Fetched, Job, describe_counts, fetch, now
from .session import Aws

Say = Callable[[str], None]


def check_outdir(outdir: Path) -> None:
    """Before any call: OUTDIR is a new or empty folder (a findings file left by another pull
    would be read by batch as if it were current)."""
    if outdir.exists() and not outdir.is_dir():
        raise InputError("is not a folder; give a new folder for the pulled data", str(outdir))
    if outdir.is_dir() and any(outdir.iterdir()):
        raise UsageError(f"pull: `{outdir}` is not empty: give a new folder (files left from an "
                         "earlier pull would be read by batch as current)")


def plan(everyone, chosen, source: str) -> list[Job]:
    """A job per chosen principal with its file stem (the same whoever else is chosen).
    Access Advisor reports name no principal, so batch matches them by file name: a principal
    whose name cannot be its file name (a role and a user of one name, a name that is no safe
    file name) cannot be pulled that way."""
    names = outpaths.Names()
    stems = {id(who): names.claim(who.name, who.kind) for who in everyone}
    shared = {n for n, k in Counter(w.name for w in everyone).items() if k > 1}
    jobs = []
    for who in chosen:
        stem = stems[id(who)]
        job = Job(who, stem)
        if source == "access-advisor" and (stem != who.name or who.name in shared):
            job.problem = ("batch matches Access Advisor reports by file name, and "
                           f"`{who.name}` cannot be one here ({_why(who.name, shared)}); use "
                           "--source access-analyzer")
        jobs.append(job)
    return jobs


def _why(name: str, shared: set[str]) -> str:
    if name in shared:
        return "a role and a user have this name"
    if outpaths.component(name) != name:
        return "it is no safe file name"
    return "another principal's name differs from it only in case"


def write(outdir: Path, fetched: Fetched) -> list[str]:
    """The principal's files, each written atomically; their paths relative to OUTDIR."""
    written = []
    with finishing():
        for folder, name, data in fetched.files:
            outpaths.make_folder(outdir, folder)
            write_atomically(str(outpaths.inside(outdir, folder, name)), data)
            written.append(f"{folder}/{name}")
    return written


def run_jobs(ctx: Context, jobs: list[Job], outdir: Path, concurrency: int, say: Say,
             rows: dict[int, dict]) -> None:
    """Fetch in at most CONCURRENCY threads; write and report each principal as it finishes.
    On Ctrl-C the workers stop at their next call and the pending ones never start."""
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pull")
    pending = {pool.submit(fetch, ctx, job): i for i, job in enumerate(jobs)}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                fetched = future.result()
                rows[i] = manifest.principal_row(jobs[i], fetched, write(outdir, fetched))
                who = jobs[i].who
                say(f"pull: [{len(rows)}/{len(jobs)}] {who.kind} {who.name}: "
                    f"{describe_counts(fetched)}")
                for note in fetched.notes:
                    say(f"warning: {who.kind} {who.name}: {note}")
    finally:
        ctx.aws.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def pull(args, say: Say) -> dict:
    """Fetch and write everything `args` asks for; returns the manifest (KeyboardInterrupt
    after writing it, when interrupted)."""
    outdir = Path(args.output)
    outpaths.new_run()  # folders resolved by an earlier run of this process are resolved anew
    check_outdir(outdir)
    if args.arn is not None:
        account.check_arn(args.arn)
    started = now()
    aws = Aws(args.profile, args.region, threading.Event())
    identity = account.caller(aws)
    chosen = analyzer.choose(aws, args.analyzer_arn) if args.source == "access-analyzer" \
        else None
    details = account.authorization_details(aws)
    details_at = now()
    auth_path = outdir / manifest.AUTH_FILE
    everyone, counts = account.principals(details, str(auth_path))
    jobs = plan(everyone, account.choose(everyone, args.arn), args.source)
    aws.client({"access-advisor": "iam", "securityhub": "securityhub"}.get(
        args.source, "accessanalyzer"))  # made here: boto3 makes clients safely in one thread
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}", str(outdir)) from None
    write_atomically(str(outpaths.inside(outdir, manifest.AUTH_FILE)), details)
    say(f"pull: {len(jobs)} principals of account {identity.get('Account')} in {aws.region}, "
        f"from {args.source}" + (f" ({chosen['arn']})" if chosen else ""))
    head = _head(args, aws, identity, chosen, started,
                 {"file": manifest.AUTH_FILE, "fetched_at": details_at,
                  **counts})
    ctx = Context(aws, args.source, chosen["arn"] if chosen else None, args.recommendations,
                  args.wait)
    rows: dict[int, dict] = {}
    interrupted = False
    try:
        run_jobs(ctx, jobs, outdir, args.concurrency, say, rows)
    except KeyboardInterrupt:  # keep what finished: the manifest says what did not
        interrupted = True
    ordered = [rows.get(i) or manifest.principal_row(job, None, []) for i, job in enumerate(jobs)]
    result = manifest.build(head, ordered, aws.calls.rows(), now(), interrupted)
    with finishing():
        write_atomically(str(outpaths.inside(outdir, "manifest.json")), dumps(result) + "\n")
    if interrupted:
        raise KeyboardInterrupt
    return result


def _head(args, aws: Aws, identity: dict, chosen: dict | None, started: str,
          details: dict) -> dict:
    """The manifest's first fields: what was asked, of which account, from where, when."""
    return {
        "source": args.source, "account": identity.get("Account"), "caller": identity.get("Arn"),
        "region": aws.region,
        "analyzer": None if chosen is None else {k: chosen.get(k)
                                                 for k in ("arn", "name", "type")},
        "options": {"principal": args.arn, "all": args.all, "recommendations":
                    args.recommendations, "concurrency": args.concurrency, "wait": args.wait},
        "started_at": started,
        "authorization_details": details,
        "findings_folder": FINDINGS,
    }
