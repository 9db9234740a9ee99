"""IAM Access Advisor as `aws iam get-service-last-accessed-details` prints it (SERVICE_LEVEL or
ACTION_LEVEL): a service never authenticated to is wholly unused, a tracked action never accessed
is unused, and what the report cannot see is kept."""

from __future__ import annotations

from ..spec.glob import fold
from .catalog import Catalog
from .reading import Entry, Kept, Reading, Shape, Window, action_of, check_service, label, shown

TRACKING = "the last 400 days (IAM's tracking period, shorter in a Region added within the year)"
UNTRACKED = "not tracked by Access Advisor (its action-level data covers management actions only)"
USED_SERVICE = "used in the tracking period (SERVICE_LEVEL data names no action)"
USED_NO_ACTIONS = "used in the tracking period, and the report has no action-level data for it"


def is_report(value) -> bool:
    return isinstance(value, dict) and ("ServicesLastAccessed" in value or "JobStatus" in value
                                        and "JobCreationDate" in value)


def is_pages(value) -> bool:
    """Several pages of one report (IsTruncated and --marker), in a JSON array."""
    return isinstance(value, list) and bool(value) and is_report(value[0])


def read_pages(pages: list, catalog: Catalog) -> Reading:
    out = Reading()  # the proof kernel reads Access Advisor pages itself
    for i, page in enumerate(pages):
        if not is_report(page):
            raise Shape(f"[{i}]: expected a page of 'aws iam get-service-last-accessed-details' "
                        "output, as the array's first item is", (i,))
        one = read(page, catalog, (i,), last_page=i == len(pages) - 1)
        out.entries += one.entries
        out.kept += one.kept
        out.warnings += one.warnings
        out.window = out.window or one.window
    return out


def read(value: dict, catalog: Catalog, at: tuple = (), last_page: bool = True) -> Reading:
    """One report: what it says is unused, what it keeps and why, and when it was made."""
    _require_completed(value, at)
    services = value.get("ServicesLastAccessed")
    here = (*at, "ServicesLastAccessed")
    if not isinstance(services, list):
        raise Shape(f"{label(here)}: expected a list", here)
    level = value.get("JobType")
    if level is None:  # older output: no JobType; action data says which it was
        level = "ACTION_LEVEL" if any(isinstance(s, dict) and s.get("TrackedActionsLastAccessed")
                                      for s in services) else "SERVICE_LEVEL"
    if level not in ("SERVICE_LEVEL", "ACTION_LEVEL"):
        raise Shape(f"{label((*at, 'JobType'))}: expected SERVICE_LEVEL or ACTION_LEVEL, got "
                    f"{shown(level)}", (*at, "JobType"))
    reading = Reading()  # the proof kernel reads Access Advisor reports itself
    for i, item in enumerate(services):
        _service(item, (*here, i), level, catalog, reading)
    reading.window = Window(f"IAM Access Advisor report ({level})",
                            value.get("JobCompletionDate"), "JobCompletionDate", TRACKING)
    if value.get("IsTruncated") is True and last_page:
        reading.warnings.append(
            f"{label(at) + ': ' if at else ''}IsTruncated is true: this is one page of the "
            "report, and the services on the next pages are missing (so they are kept); fetch "
            "them with --marker and give the pages as a JSON array")
    return reading


def _service(item, where: tuple, level: str, catalog: Catalog, reading: Reading) -> None:
    """One entry of ServicesLastAccessed, into the reading's entries and kept names."""
    if not isinstance(item, dict):
        raise Shape(f"{label(where)}: expected an object", where)
    service = check_service(item.get("ServiceNamespace"), (*where, "ServiceNamespace"))
    if not item.get("LastAuthenticated"):
        reading.entries.append(Entry(service, None, label(where)))
        return
    tracked = item.get("TrackedActionsLastAccessed")
    if level == "SERVICE_LEVEL" or not tracked:
        reading.kept.append(Kept(f"{service}:*", USED_SERVICE if level == "SERVICE_LEVEL"
                                 else USED_NO_ACTIONS))
        return
    here = (*where, "TrackedActionsLastAccessed")
    if not isinstance(tracked, list):
        raise Shape(f"{label(here)}: expected a list", here)
    seen = set()
    for j, action in enumerate(tracked):
        at = (*here, j)
        if not isinstance(action, dict):
            raise Shape(f"{label(at)}: expected an object", at)
        name = action_of(service, action.get("ActionName"), (*at, "ActionName"))
        seen.add(fold(name))
        if not action.get("LastAccessedTime"):
            reading.entries.append(Entry(service, name, label(at)))
    names = next((names for svc, names in catalog.services.items()
                  if fold(svc) == fold(service)), ())
    reading.kept += [Kept(f"{service}:{name}", UNTRACKED) for name in names
                     if fold(name) not in seen]


def _require_completed(value: dict, at: tuple) -> None:
    """A report whose job is not COMPLETED says nothing yet: bad input with AWS's error."""
    status = value.get("JobStatus", "COMPLETED")
    if status == "COMPLETED":
        return
    error = value.get("Error") if isinstance(value.get("Error"), dict) else {}
    detail = ": ".join(error[k] for k in ("Code", "Message")
                       if isinstance(error.get(k), str) and error[k])
    hint = "; generate it again with 'aws iam generate-service-last-accessed-details'" \
        if status == "FAILED" else "; run 'aws iam get-service-last-accessed-details' again " \
        "when it is done" if status == "IN_PROGRESS" else ""
    raise Shape(f"the Access Advisor report has JobStatus {shown(status).strip(chr(34))}"
                + (f" ({detail})" if detail else "") + hint, (*at, "JobStatus"))
