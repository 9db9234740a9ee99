"""One principal's data, fetched from the chosen source in a worker thread: the files to write
(never written here), what they hold, the calls made, and why it failed when it did."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from ..inputs.account import Principal
from . import advisor, analyzer, hub
from .session import AWS_ERRORS, Aws, FetchError, Stopped, as_json, describe

FINDINGS, RECOMMENDATIONS = "findings", "recommendations"  # the folders under OUTDIR


@dataclass
class Context:
    """What every worker shares: the session, the source and its options."""

    aws: Aws
    source: str
    analyzer: str | None  # the analyzer's ARN (access-analyzer)
    recommendations: bool
    wait: float


@dataclass
class Job:
    """A principal to fetch for, with its file stem in the findings folder, or the reason it
    cannot be fetched for (found before any call)."""

    who: Principal
    stem: str
    problem: str = ""


@dataclass
class Fetched:
    job: Job
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # folder, name, bytes
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    calls: dict[str, int] = field(default_factory=dict)
    fetched_at: str = ""

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        return "fetched" if self.files else "nothing unused"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def fetch(ctx: Context, job: Job) -> Fetched:
    """Fetch one principal's data; an AWS failure is recorded in the result, Ctrl-C stops."""
    out = Fetched(job)
    out.calls = ctx.aws.calls.watch()
    try:
        if job.problem:
            raise FetchError(job.problem)
        FETCHERS[ctx.source](ctx, job, out)
    except Stopped:
        raise
    except Exception as exc:  # noqa: BLE001 - one principal's failure never stops the rest
        out.files, out.error = [], describe(exc)
    out.fetched_at = now()
    ctx.aws.calls.unwatch()
    return out


def _analyzer(ctx: Context, job: Job, out: Fetched) -> None:
    items = analyzer.findings(ctx.aws, ctx.analyzer, job.who.arn)
    out.counts["findings"] = len(items)
    if items:
        out.files.append((FINDINGS, f"{job.stem}.json", as_json(
            items[0] if len(items) == 1 else items)))
    if ctx.recommendations:
        _recommendations(ctx, job, out, items, lambda item: analyzer.recommendation(
            ctx.aws, ctx.analyzer, item["id"], ctx.wait), lambda item: item["id"])


def _securityhub(ctx: Context, job: Job, out: Fetched) -> None:
    items = hub.findings(ctx.aws, job.who.arn)
    out.counts["findings"] = len(items)
    if items:
        out.files.append((FINDINGS, f"{job.stem}.json", as_json({"Findings": items})))
    if ctx.recommendations:
        _recommendations(ctx, job, out, items, lambda item: hub.recommendation(
            ctx.aws, item, ctx.wait), lambda item: (item.get("metadata") or {}).get("uid"))


def _recommendations(ctx: Context, job: Job, out: Fetched, items: list[dict],
                     get: Callable[[dict], dict], name: Callable[[dict], str]) -> None:
    """Each finding's recommendation as recommendations/<stem>.<n>.json; one that failed or
    could not be had is a note (the findings stay usable)."""
    for n, item in enumerate(items, 1):
        try:
            answer = get(item)
        except Stopped:
            raise
        except AWS_ERRORS as exc:
            out.notes.append(f"no recommendation for finding {name(item)}: {describe(exc)}")
            continue
        problem = analyzer.failure(answer, f"the recommendation for finding {name(item)}")
        if problem:
            out.notes.append(problem)
            continue
        out.files.append((RECOMMENDATIONS, f"{job.stem}.{n}.json", as_json(answer)))
        out.counts["recommendations"] = out.counts.get("recommendations", 0) + 1


def _advisor(ctx: Context, job: Job, out: Fetched) -> None:
    pages = advisor.report(ctx.aws, job.who.arn, ctx.wait)
    out.counts["services"] = sum(len(p.get("ServicesLastAccessed") or []) for p in pages)
    out.counts["pages"] = len(pages)
    out.files.append((FINDINGS, f"{job.stem}.json", as_json(
        pages[0] if len(pages) == 1 else pages)))


FETCHERS = {"access-analyzer": _analyzer, "access-advisor": _advisor,
            "securityhub": _securityhub}


def describe_counts(fetched: Fetched) -> str:
    """What a principal's fetch brought, in words: `2 findings, 1 recommendation`."""
    if fetched.error:
        return f"failed: {fetched.error}"
    words = [f"{n} {what[:-1] if n == 1 else what}" for what, n in fetched.counts.items()]
    text = ", ".join(words) or "nothing"
    return text if fetched.files else f"{text}: no unused-permission data to write"
