"""The AWS side of `pull`: a boto3 session with adaptive retries, clients that count their calls
and stop on Ctrl-C, every page of a call, bounded polling, and responses as the AWS CLI prints
them."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Callable

import boto3
import botocore.exceptions
from botocore.config import Config

from ..errors import UsageError

# Throttling is botocore's business: adaptive mode backs off and slows the client's send rate
# after a ThrottlingException, up to 10 attempts a call.
CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10},
                user_agent_extra="verify-refine-pull")
FIRST_DELAY, MAX_DELAY = 0.5, 10.0  # seconds between polls of a job AWS is still running


class Stopped(Exception):
    """Ctrl-C was pressed: a worker stops before its next call."""


class FetchError(Exception):
    """A principal's data could not be fetched (its message is one line for the user)."""


class Calls:
    """Every API call made, by service and operation, with the retries botocore made and the
    errors AWS answered; also per principal, for the thread that fetches it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.total: dict[tuple[str, str], list[int]] = {}
        self.local = threading.local()

    def watch(self) -> dict:
        """Count this thread's calls from now on (a principal's); returns their counts."""
        self.local.counts = {}
        return self.local.counts

    def unwatch(self) -> None:
        self.local.counts = None

    def record(self, service: str, operation: str, retries: int, failed: bool) -> None:
        with self.lock:
            row = self.total.setdefault((service, operation), [0, 0, 0])
            row[0], row[1], row[2] = row[0] + 1, row[1] + retries, row[2] + failed
        counts = getattr(self.local, "counts", None)
        if counts is not None:
            name = f"{service}:{operation}"
            counts[name] = counts.get(name, 0) + 1

    def rows(self) -> list[dict]:
        with self.lock:
            return [{"service": s, "operation": o, "calls": n, "retries": r, "errors": e}
                    for (s, o), (n, r, e) in sorted(self.total.items())]


class Aws:
    """A session in one region and the clients `pull` uses, made up front (a boto3 session is
    not safe to share between threads; its clients are)."""

    def __init__(self, profile: str | None, region: str | None, stop: threading.Event):
        try:
            self.session = boto3.session.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound:
            raise UsageError(f"pull: no AWS profile named `{profile}`") from None
        self.region = self.session.region_name
        if not self.region:
            raise UsageError("pull: no AWS region: give --region or set AWS_DEFAULT_REGION "
                             "(Access Analyzer and Security Hub are regional)")
        self.stop, self.calls = stop, Calls()
        self.clients: dict[str, object] = {}

    def client(self, service: str):
        """The client of SERVICE, made once, in the calling (main) thread."""
        if service not in self.clients:
            made = self.session.client(service, config=CONFIG)
            made.meta.events.register_first("before-call.*.*", self._before)
            made.meta.events.register("after-call", self._after)
            self.clients[service] = made
        return self.clients[service]

    def _before(self, **_):
        if self.stop.is_set():
            raise Stopped()

    def _after(self, http_response, parsed, model, **_):
        retries = (parsed or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0)
        status = getattr(http_response, "status_code", 200)
        self.calls.record(model.service_model.service_name, model.name, int(retries or 0),
                          status >= 300)


def describe(exc: BaseException) -> str:
    """One line about an AWS failure: the error code and AWS's message, or botocore's."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "")
        return (f"{operation}: " if operation else "") + \
            f"{error.get('Code', 'error')}: {error.get('Message') or 'no message'}"
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found: run 'aws configure', set AWS_PROFILE, or give --profile"
    if isinstance(exc, (FetchError, botocore.exceptions.BotoCoreError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, FetchError)


def plain(value):
    """A boto3 response as the AWS CLI prints it: no ResponseMetadata, times in ISO 8601."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def as_json(value) -> bytes:
    """The bytes of a file `pull` writes: indented JSON, as `aws ... --output json` prints."""
    return (json.dumps(plain(value), indent=4, ensure_ascii=False) + "\n").encode("utf-8")


def every_page(call: Callable, params: dict, token: tuple[str, str], results: tuple[str, ...],
               more: str | None = None, first: dict | None = None) -> dict:
    """Every page of one call merged: the first page as AWS sent it, with the lists under
    RESULTS extended by the later pages' lists, and without the page token. TOKEN is (request
    parameter, response field); MORE the field saying more pages follow, when AWS has one;
    FIRST the first page when it is already at hand."""
    page = call(**params) if first is None else first
    merged = {k: v for k, v in page.items() if k not in (token[1], more)}
    seen: set[str] = set()
    while page.get(token[1]) and (more is None or page.get(more)):
        if page[token[1]] in seen:
            raise FetchError(f"{call.__name__}: AWS gave the same page token twice")
        seen.add(page[token[1]])
        page = call(**params, **{token[0]: page[token[1]]})
        for key in results:
            merged.setdefault(key, []).extend(page.get(key) or [])
    return merged


def poll(fetch: Callable[[], dict], status: Callable[[dict], str], wait: float,
         stop: threading.Event, what: str) -> dict:
    """FETCH again, FIRST_DELAY seconds apart and doubling up to MAX_DELAY, until STATUS of its
    answer is no longer IN_PROGRESS; at most WAIT seconds (then FetchError)."""
    deadline = time.monotonic() + wait
    delay = FIRST_DELAY
    while True:
        answer = fetch()
        if status(answer) != "IN_PROGRESS":
            return answer
        if time.monotonic() + delay > deadline:
            raise FetchError(f"{what} was still IN_PROGRESS after {wait:g} s (give a longer "
                             "--wait)")
        if stop.wait(delay):
            raise Stopped()
        delay = min(delay * 2, MAX_DELAY)
