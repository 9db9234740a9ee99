"""What a findings reader hands on before the unused set is built: the names with where they
stand and when last used, the data's window, what it keeps and why, and the findings' status."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from ..spec.alphabet import name_problem, service_problem
from ..spec.glob import fold, has_wildcard
from .jsontext import quote
from .model import Number


class Shape(Exception):
    """A JSON findings file of the wrong shape: the message and the JSON path of the value."""

    def __init__(self, message: str, at: tuple):
        super().__init__(message)
        self.message = message
        self.at = at


class Bad(Exception):
    """A name that is not an unused action; the caller says where it stands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Entry(NamedTuple):
    """One unused name: a service and an action (None: the whole service), where it was found
    (a JSON path label or `line N`), and when it was last used if the data says (as written)."""

    service: str
    action: str | None
    where: str
    last: object = None


@dataclass(frozen=True)
class Window:
    """When usage data was taken and over what period it looked, as the data says."""

    source: str  # what produced the data: "IAM Access Analyzer finding", ...
    date: str | None  # the data's date as written (analyzedAt, JobCompletionDate, ...)
    field: str | None  # the field that gave the date
    period: str  # the period the data covers, in words

    def __post_init__(self) -> None:
        if self.date is not None and not isinstance(self.date, str):  # a number, as written
            text = self.date.text if isinstance(self.date, Number) else str(self.date)
            object.__setattr__(self, "date", text)

    def line(self) -> str:
        """The window as the refine summary prints it."""
        when = f" of {self.date} ({self.field})" if self.date else " (no date in the file)"
        return f"usage data: {self.source}{when}; it covers {self.period}"

    def as_json(self) -> dict:
        return {"source": self.source, "date": self.date, "field": self.field,
                "period": self.period}


@dataclass(frozen=True)
class Kept:
    """A name the data does not call unused, kept with the reason: `svc:Action`, or `svc:*`
    for a whole service."""

    name: str
    reason: str


@dataclass(frozen=True)
class Closed:
    """A finding whose status says it is no longer to be acted on (RESOLVED, ARCHIVED, or a
    closed Security Hub finding): the status and the JSON path of its value."""

    status: str
    at: tuple


@dataclass
class Reading:
    """A findings document as read: its entries and everything said about them."""

    entries: list[Entry] = field(default_factory=list)
    window: Window | None = None
    kept: list[Kept] = field(default_factory=list)
    closed: list[Closed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)  # the principals it is about
    kernel_reads: bool = True  # the proof kernel reads this format the same way


def label(at: tuple) -> str:
    """A JSON path as messages write it: findingDetails[0].unusedPermissionDetails.actions[2]."""
    out = ""
    for step in at:
        out += f"[{step}]" if isinstance(step, int) else f".{step}" if out else step
    return out


def shown(value) -> str:
    """A JSON value for a message: one line, shortened."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Number):
        return value.text[:40]
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) \
        else "null" if value is None else str(value).lower()


def check_service(service, at: tuple) -> str:
    """A service prefix as findings give it (`s3`), or Shape at its place."""
    if not isinstance(service, str) or not service or has_wildcard(service) or ":" in service:
        raise Shape(f'{label(at)}: expected a service prefix such as "s3"', at)
    problem = service_problem(service)
    if problem:
        raise Shape(f"{label(at)}: {quote(service)} {problem}", at)
    return service


def check_name(action: str) -> None:
    """An action name (no service prefix): letters, digits, '-', '_' and '.', no wildcard."""
    if has_wildcard(action) or not action:
        raise Bad(f"{quote(action)}: unused actions are names, not patterns "
                  "(a whole service is svc:*)")
    problem = name_problem(action)
    if problem:
        raise Bad(f"{quote(action)} {problem}")


def split_name(name: str) -> tuple[str, str | None]:
    """`svc:Action` -> (svc, Action); `svc:*` -> (svc, None): the whole service."""
    if name.count(":") != 1:
        raise Bad(f"expected service:Action, got {quote(name)}")
    service, action = name.split(":")
    if not service or has_wildcard(service):
        raise Bad(f"expected service:Action, got {quote(name)}")
    problem = service_problem(service)
    if problem:
        raise Bad(f"{quote(name)}: the service prefix {quote(service)} {problem}")
    if action == "*":
        return (service, None)
    check_name(action)
    return (service, action)


def action_of(service: str, action, at: tuple) -> str:
    """An action name given under a service, bare (`GetObject`) or prefixed (`s3:GetObject`);
    Shape at its place when it is not one."""
    if not isinstance(action, str) or not action:
        raise Shape(f"{label(at)}: expected an action name", at)
    try:
        if ":" in action:
            svc, name = split_name(action)
            if fold(svc) != fold(service):
                raise Bad(f"{quote(action)} is not in service {quote(service)}")
            action = "*" if name is None else name
        check_name(action)
    except Bad as bad:
        raise Shape(f"{label(at)}: {bad.message}", at) from None
    return action


def parse_time(value) -> datetime.datetime | None:
    """A timestamp as AWS prints it (ISO 8601, or seconds since 1970 when the CLI is set to
    print numbers; OCSF's milliseconds too), in UTC; None when it is not one."""
    if isinstance(value, Number):
        try:
            value = float(value.text)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    if value.strip().replace(".", "", 1).isdigit():  # a number, as a Window keeps it
        return parse_time(Number(value.strip()))
    try:
        when = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def day(value) -> str:
    """A timestamp's day (YYYY-MM-DD) for messages, or the value as written."""
    when = parse_time(value)
    return when.date().isoformat() if when else shown(value)


def service_entry(item, at: tuple) -> list[Entry]:
    """{"serviceNamespace", "actions"} (the list format, and get-finding-v2's
    unusedPermissionDetails, whose actions are {"action", "lastAccessed"}): its entries, the
    whole service when no action is listed."""
    if not isinstance(item, dict):
        raise Shape(f"{label(at)}: expected an object", at)
    service = check_service(item.get("serviceNamespace"), (*at, "serviceNamespace"))
    actions = item.get("actions")
    if actions is None or actions == []:
        return [Entry(service, None, label(at), item.get("lastAccessed"))]
    if not isinstance(actions, list):
        raise Shape(f"{label((*at, 'actions'))}: expected a list", (*at, "actions"))
    out: list[Entry] = []
    for j, action in enumerate(actions):
        here, last = (*at, "actions", j), None
        if isinstance(action, dict):  # get-finding-v2: {"action": "GetObject", "lastAccessed"}
            action, last, here = action.get("action"), action.get("lastAccessed"), \
                (*here, "action")
        out.append(Entry(service, action_of(service, action, here), label(here), last))
    return out


def keep_recent(reading: Reading, days: int) -> None:
    """--unused-since DAYS: an entry last used within DAYS of the data's date is kept as used
    (it leaves the entries, with its reason). Data with no date cannot be counted from."""
    date = parse_time(reading.window.date) if reading.window else None
    if date is None:
        what = "have no date to count from" if reading.window is None or reading.window.date \
            is None else f"give their date as {shown(reading.window.date)}, not a timestamp"
        raise Bad(f"--unused-since: these findings {what} (get-finding-v2, Access Advisor and "
                  "Security Hub data carry one)")
    since = date - datetime.timedelta(days=days)
    left = []
    for entry in reading.entries:
        last = parse_time(entry.last)
        if last is not None and last >= since:
            name = f"{entry.service}:{entry.action or '*'}"
            reading.kept.append(Kept(name, f"last used within {days} days of the data's date "
                                           f"({day(reading.window.date)})"))
        else:
            left.append(entry)
    reading.entries = left
    reading.kernel_reads = False
