"""Access Analyzer's findings as AWS prints them: one get-finding-v2 (its status, its date, a
page cut short by nextToken), several in an array, and list-findings-v2 output (no action)."""

from __future__ import annotations

from ..errors import InputError
from ..jsonout import dumps
from . import securityhub
from .jsontext import json_position
from .reading import Closed, Reading, Shape, Window, label, service_entry, shown

# The statuses of a finding that is no longer to be acted on, and why.
CLOSED = {"RESOLVED": "the permissions were used since, or the finding no longer applies",
          "ARCHIVED": "someone decided to keep these permissions",
          "SUPPRESSED": "someone decided to keep these permissions"}
ANALYZER_WINDOW = "the analyzer's unused access age (the days set on the analyzer, not in " \
                  "the finding)"


def is_finding_v2(value) -> bool:
    return isinstance(value, dict) and "findingDetails" in value


def is_list_findings(value) -> bool:
    """`aws accessanalyzer list-findings-v2` output: summaries of findings, no details."""
    return isinstance(value, dict) and isinstance(value.get("findings"), list) \
        and "findingDetails" not in value


def list_findings_message(value: dict) -> str:
    """Why list-findings-v2 output cannot be read, and what to run instead."""
    found = [f for f in value["findings"] if isinstance(f, dict)]
    first = next((f for f in found if f.get("findingType", "UnusedPermission")
                  == "UnusedPermission"), found[0] if found else {})
    example = f" (the first UnusedPermission one has id {shown(first.get('id'))})" \
        if first.get("id") else ""
    return (f"this is 'aws accessanalyzer list-findings-v2' output: it lists {len(found)} "
            "findings without their unused actions; fetch each with 'aws accessanalyzer "
            f"get-finding-v2 --analyzer-arn ARN --id ID'{example}")


def finding_v2(value: dict, at: tuple = ()) -> Reading:
    """One get-finding-v2 output: its unusedPermissionDetails, its status, its date."""
    details = value["findingDetails"]
    here = (*at, "findingDetails")
    if not isinstance(details, list):
        raise Shape(f"{label(here)}: expected a list", here)
    reading = Reading()
    for i, detail in enumerate(details):
        where = (*here, i)
        if not isinstance(detail, dict):
            raise Shape(f"{label(where)}: expected an object", where)
        unused = detail.get("unusedPermissionDetails")
        if unused is not None:  # other kinds of finding detail carry no unused permissions
            reading.entries += service_entry(unused, (*where, "unusedPermissionDetails"))
    kind = value.get("findingType", "UnusedPermission")
    if not reading.entries and kind != "UnusedPermission":
        what = f"findingType {shown(kind)}" if isinstance(kind, str) else "this finding"
        raise Shape(f"{what} lists no unusedPermissionDetails: nothing to remove (only "
                    "UnusedPermission findings name unused actions)", (*at, "findingType"))
    status = value.get("status")
    if isinstance(status, str) and status in CLOSED:
        reading.closed.append(Closed(status, (*at, "status")))
    date_field = next((k for k in ("analyzedAt", "updatedAt") if value.get(k)), None)
    reading.window = Window("IAM Access Analyzer finding", value.get(date_field) if date_field
                            else None, date_field, ANALYZER_WINDOW)
    if isinstance(value.get("resource"), str):
        reading.resources.append(value["resource"])
    if value.get("nextToken"):
        which = f" {value['id']}" if isinstance(value.get("id"), str) else ""
        reading.warnings.append(
            f"{label(at) + ': ' if at else ''}nextToken is set: this is one page of finding"
            f"{which}, and the unused actions on its other pages are missing (so they are "
            "kept); run 'aws accessanalyzer get-finding-v2' without --max-items or "
            "--no-paginate to get every page")
    return reading


def findings_array(value: list) -> Reading:
    """Several get-finding-v2 outputs in a JSON array: read as one, about one principal."""
    out = Reading()
    dates = []
    for i, item in enumerate(value):
        if not is_finding_v2(item):
            raise Shape(f"[{i}]: expected get-finding-v2 output (an object with "
                        "findingDetails), as the array's first item is", (i,))
        kind = item.get("findingType", "UnusedPermission")
        details = item["findingDetails"] if isinstance(item["findingDetails"], list) else []
        if kind != "UnusedPermission" and not any(
                isinstance(d, dict) and "unusedPermissionDetails" in d for d in details):
            continue  # an unused role or key finding names no permission
        one = finding_v2(item, (i,))
        out.entries += one.entries
        out.closed += one.closed
        out.warnings += one.warnings
        out.resources += [r for r in one.resources if r not in out.resources]
        if one.window and one.window.date:
            dates.append((one.window.date, one.window))
    if not out.entries and value:
        finding_v2(value[0], (0,))  # says why the first one names nothing
    out.window = min(dates, key=lambda pair: str(pair[0]))[1] if dates else None
    return out  # the proof kernel reads a list of get-finding-v2 outputs itself


def require_open(closed, path: str, data: bytes | None, include: bool) -> None:
    """A finding that is RESOLVED or ARCHIVED (or a closed Security Hub finding) is out of date:
    bad input at its status unless --include-resolved."""
    if include or not closed:
        return
    first = closed[0]
    why = CLOSED.get(first.status, "the finding is closed")
    where = json_position(data, path, first.at) if data is not None else ()
    raise InputError(f"the finding's status is {first.status} ({why}); its unused actions "
                     "may no longer be unused: fetch it again, or give --include-resolved to "
                     "use it anyway", path, *where)


def by_resource(value) -> dict[str, list] | None:
    """The findings of a document grouped by the principal they are about (its ARN, None when
    it names none): one or several get-finding-v2 outputs, or Security Hub findings; only
    unused-permission ones. None when the document is not a collection of findings."""
    if is_finding_v2(value) or isinstance(value, list) and value and is_finding_v2(value[0]):
        items = [value] if isinstance(value, dict) else value
        pairs = [(item.get("resource"), item) for item in items
                 if is_finding_v2(item) and item.get("findingType", "UnusedPermission")
                 == "UnusedPermission"]
    elif securityhub.is_findings(value):
        items = value["Findings"] if isinstance(value, dict) and isinstance(
            value.get("Findings"), list) else \
            value if isinstance(value, list) else [value]
        pairs = [(securityhub.principal(item), item) for item in items
                 if securityhub.is_finding(item) and securityhub.is_unused_permission(item)]
    else:
        return None
    out: dict = {}
    for arn, item in pairs:
        out.setdefault(arn if isinstance(arn, str) else None, []).append(item)
    return out


def part_of(value, items: list) -> bytes:
    """A principal's own findings out of a document about several: in the document's format."""
    if isinstance(value, dict) and isinstance(value.get("Findings"), list):
        return dumps({"Findings": items}).encode("utf-8")
    return dumps(items[0] if len(items) == 1 else items).encode("utf-8")
