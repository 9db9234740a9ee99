"""What the usage data said besides the unused names, for the summary: its window, and the
actions it keeps with the reason (those the policy grants)."""

from __future__ import annotations

from ..inputs.findings import UnusedSet
from ..spec.glob import fold

SHOWN = 12


def granted(policy, catalog) -> set[str]:
    """The folded catalog actions the policy's Allow statements grant."""
    out: set[str] = set()
    for stmt in policy.statements:
        if stmt.effect != "Allow":
            continue
        matched = {a for p in stmt.patterns for a in catalog.matching(p.text)}
        out |= set(catalog.with_prefix("")) - matched if stmt.action_key == "NotAction" \
            else matched
    return out


def kept_by_reason(unused: UnusedSet, allowed: set[str] | None) -> dict[str, list[str]]:
    """The kept names grouped by reason, in order; with `allowed`, only those the policy grants
    (a whole service `svc:*` when it grants any action of it)."""
    out: dict[str, list[str]] = {}
    for kept in unused.kept:
        name = fold(kept.name)
        if allowed is not None:
            if name.endswith(":*"):
                if not any(a.startswith(name[:-1]) for a in allowed):
                    continue
            elif name not in allowed:
                continue
        out.setdefault(kept.reason, []).append(kept.name)
    return out


def lines(unused: UnusedSet, policy, catalog) -> list[str]:
    """The summary's lines: the data's window, then one line per reason something is kept."""
    out = [unused.window.line()] if unused.window else []
    if unused.since_days is not None:
        out.append(f"--unused-since {unused.since_days}: actions last used within "
                   f"{unused.since_days} days of the data's date are kept")
    for reason, names in kept_by_reason(unused, granted(policy, catalog)).items():
        names = sorted(names, key=fold)
        more = f" and {len(names) - SHOWN} more ({len(names)} in all; --format json lists " \
               "them)" if len(names) > SHOWN else ""
        out.append(f"{reason}, kept: {', '.join(names[:SHOWN])}{more}")
    return out


def kept_note(unused: UnusedSet, action: str | None) -> str:
    """What to add to a refuted line whose counterexample is an action the usage data or a
    guard keeps (a recommendation that removes iam:PassRole): the reason. Empty otherwise."""
    if not action:
        return ""
    reason = next((k.reason for k in unused.kept if fold(k.name) == fold(action)), None)
    return f"; {action} is kept: {reason}" if reason else ""


def as_json(unused: UnusedSet) -> dict:
    """The usage data in `refine --format json`: window, --unused-since, the guards, and every
    kept name."""
    return {"window": unused.window.as_json() if unused.window else None,
            "unused_since_days": unused.since_days,
            "guards": unused.guards.as_json() if unused.guards is not None else None,
            "kept": [{"name": k.name, "reason": k.reason} for k in unused.kept]}
