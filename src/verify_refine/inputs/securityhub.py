"""Security Hub's unused-permission findings (OCSF IAM Analysis Findings: one, an array, or
`aws securityhub get-findings-v2` output): the services they say are wholly unused; the actions
they only count are kept."""

from __future__ import annotations

from .model import Number
from .reading import Closed, Entry, Kept, Reading, Shape, Window, check_service, label

WINDOW = "a fixed 90-day lookback (Security Hub's service-linked analyzer)"
CLOSED = ("RESOLVED", "SUPPRESSED", "ARCHIVED")
NAMES = ("fetch the names with 'aws accessanalyzer get-finding-v2' from Security Hub's "
         "service-linked analyzer ('aws accessanalyzer list-analyzers' shows it)")


def is_finding(value) -> bool:
    """One OCSF finding: an object with finding_info and an OCSF class."""
    return isinstance(value, dict) and "finding_info" in value \
        and ("class_uid" in value or "class_name" in value)


def is_findings(value) -> bool:
    """get-findings-v2 output, an array of OCSF findings, or one."""
    if isinstance(value, dict) and isinstance(value.get("Findings"), list):
        return True
    return is_finding(value) or isinstance(value, list) and bool(value) and is_finding(value[0])


def read(value) -> Reading:
    """The unused services of every unused-permission finding in the document."""
    if isinstance(value, dict) and isinstance(value.get("Findings"), list):
        items, at = value["Findings"], ("Findings",)
    else:
        items, at = (value if isinstance(value, list) else [value]), (() if isinstance(
            value, list) else None)
    out = Reading(kernel_reads=False)
    counted: list[str] = []
    for i, item in enumerate(items):
        where = () if at is None else (*at, i)
        if not is_finding(item):
            raise Shape(f"{label(where) or 'the document'}: expected an OCSF finding (an "
                        "object with finding_info and class_uid)", where)
        if not is_unused_permission(item):
            continue
        _finding(item, where, out, counted)
    if not out.entries and counted:
        raise Shape(f"this Security Hub finding counts unused actions of {', '.join(counted)} "
                    f"but names none of them (OCSF findings carry counts): {NAMES}", ())
    if isinstance(value, dict) and value.get("NextToken"):
        out.warnings.append("NextToken is set: this is one page of get-findings-v2 output; the "
                            "findings on other pages are missing (their actions are kept)")
    return out


def is_unused_permission(item: dict) -> bool:
    info = item.get("finding_info") if isinstance(item.get("finding_info"), dict) else {}
    types = info.get("types") if isinstance(info.get("types"), list) else []
    return any(isinstance(t, str) and "unusedpermission" in t.lower().replace(" ", "")
               for t in types)


def principal(item: dict) -> str | None:
    """The ARN of the role or user a finding is about (its first resource with an ARN)."""
    resources = item.get("resources") if isinstance(item.get("resources"), list) else []
    return next((r["uid"] for r in resources if isinstance(r, dict)
                 and isinstance(r.get("uid"), str) and r["uid"].startswith("arn:")), None)


def _count(value) -> int:
    """A JSON count (a Number as the parser keeps it), 0 when it is not a whole number."""
    text = value.text if isinstance(value, Number) else value
    try:
        return int(text) if isinstance(text, (str, int)) and not isinstance(text, bool) else 0
    except ValueError:
        return 0


def _finding(item: dict, where: tuple, out: Reading, counted: list[str]) -> None:
    """One unused-permission finding into the reading: its wholly unused services, the
    services whose unused actions it counts without naming them, its status and date."""
    mine: list[str] = []
    results = item.get("permission_analysis_results") or []
    here = (*where, "permission_analysis_results")
    if not isinstance(results, list):
        raise Shape(f"{label(here)}: expected a list", here)
    for i, result in enumerate(results):
        rows = result.get("service_privilege_analysis_list") if isinstance(result, dict) \
            else None
        for j, row in enumerate(rows if isinstance(rows, list) else []):
            at = (*here, i, "service_privilege_analysis_list", j)
            if not isinstance(row, dict):
                raise Shape(f"{label(at)}: expected an object", at)
            service = check_service(row.get("name"), (*at, "name"))
            last = row.get("last_used_time_dt") or row.get("last_used_time")
            if row.get("all_privileges_unused") is True:
                out.entries.append(Entry(service, None, label(at), last))
            elif _count(row.get("unused_privileges_count")) > 0:
                mine.append(service)
                out.kept.append(Kept(f"{service}:*", f"{_count(row['unused_privileges_count'])} "
                                     "unused actions counted but not named by the Security Hub "
                                     "finding"))
    status = item.get("status")
    if isinstance(status, str) and status.upper() in CLOSED:
        out.closed.append(Closed(status.upper(), (*where, "status")))
    info = item["finding_info"] if isinstance(item["finding_info"], dict) else {}
    date_field = next((k for k in ("modified_time_dt", "modified_time", "created_time_dt")
                       if info.get(k)), None)
    if out.window is None or date_field and str(info[date_field]) < str(out.window.date):
        out.window = Window("Security Hub unused-permission finding",
                            info.get(date_field) if date_field else None,
                            f"finding_info.{date_field}" if date_field else None, WINDOW)
    arn = principal(item)
    if arn is not None and arn not in out.resources:
        out.resources.append(arn)
    counted += mine
    if mine:
        out.warnings.append(f"{label(where) or 'the finding'}: it counts unused actions of "
                            f"{', '.join(sorted(set(mine)))} without naming them, so they "
                            f"are kept; {NAMES}")
