"""Catalog drift: how today's catalog differs from the slice a certificate was proved over, on that
slice's services, and what it means for the refined policy: the actions published since that
its wildcards admit, the actions withdrawn, and whether refining again today changes it."""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog_slice, certificate, pipeline
from .inputs import findings, guards
from .inputs.catalog import Catalog
from .inputs.model import Policy, Span
from .report import exposure
from .spec.glob import fold
from .verdict import Problem, Verdict

RULE = "VR-catalog-drift"
SHOWN = 5  # action names a message lists before "and N more"


@dataclass(frozen=True)
class Drift:
    """What changed between a certificate's slice and today's catalog, on the slice's services."""

    current: Catalog
    published: tuple[str, ...]  # today's names the slice lacks, in today's spelling
    withdrawn: tuple[str, ...]  # the slice's names today's catalog lacks
    admitted: tuple[tuple[int, str, tuple[str, ...]], ...]  # exposure rows of the refined policy
    redone_differs: bool  # refining the original again today gives another policy
    redone_entries: tuple[list[str], list[str]] = ([], [])  # what it adds, what it drops

    @property
    def admitted_actions(self) -> list[str]:
        return sorted({a for _, _, actions in self.admitted for a in actions}, key=fold)


def today(embedded: Catalog, current: Catalog) -> Catalog:
    """Today's catalog on the slice's services only (a service gone today has no names)."""
    services = {svc: tuple(catalog_slice.names_in(current, svc) or ()) for svc in
                embedded.services}
    return Catalog(name=current.name, version=current.version, date=current.date,
                   services=services)


def find(embedded: Catalog, current: Catalog, original: Policy, refined: Policy,
         unused: findings.UnusedSet, unused_name: str) -> Drift | None:
    """The drift of a certificate whose slice is `embedded`, or None when today's catalog has
    exactly the slice's names on its services. The refinement is redone from the original and
    the findings' bytes read over today's catalog (with the guards `unused` was made with), and
    compared with the refined policy."""
    now = today(embedded, current)
    known = {fold(f"{svc}:{name}") for svc, names in embedded.services.items() for name in names}
    present = {fold(f"{svc}:{name}") for svc, names in now.services.items() for name in names}
    if known == present:
        return None
    published = tuple(now.canonical(a) for a in sorted(present - known))
    withdrawn = tuple(embedded.canonical(a) for a in sorted(known - present))
    rows = exposure.exposure(refined, now, embedded).entries
    unused_today = guards.apply(findings.from_bytes(unused.findings_bytes(), unused_name,
                                                    current, unused.since_days)[0],
                                unused.guards, original, current)
    redone = pipeline.refine_and_prove(original, unused_today, current, prove=False)
    differs = certificate.policy_digest(redone.refined) != certificate.policy_digest(refined)
    return Drift(current, published, withdrawn, rows, differs,
                 entries_diff(refined, redone.refined))


def entries_diff(before: Policy, after: Policy) -> tuple[list[str], list[str]]:
    """The action entries (as written) `after` has and `before` lacks, and the other way round,
    over the whole policy."""
    def entries(policy: Policy) -> dict[str, str]:
        return {fold(p.text): p.text for s in policy.statements for p in s.patterns}

    old, new = entries(before), entries(after)
    return [new[k] for k in new if k not in old], [old[k] for k in old if k not in new]


def names(actions, shown: int = SHOWN) -> str:
    """The first few names, then how many more."""
    actions = list(actions)
    head = ", ".join(actions[:shown])
    return head + (f" and {len(actions) - shown} more" if len(actions) > shown else "")


def count(n: int, what: str, plural: str | None = None) -> str:
    """`1 action`, `2 actions`; `1 entry`, `2 entries` (given the plural)."""
    return f"{n} {what if n == 1 else plural or what + 's'}"


def message(d: Drift, cert_path: str) -> str:
    """One line: what moved, what the refined policy now admits, and what to do."""
    admitted = d.admitted_actions
    parts = []
    if admitted:
        parts.append(f"its wildcards admit {count(len(admitted), 'action')} published since: "
                     f"{names(admitted)}")
    elif d.published:
        parts.append(f"{count(len(d.published), 'action')} published since, none admitted by "
                     f"its wildcards ({names(d.published)})")
    if d.withdrawn:
        parts.append(f"{count(len(d.withdrawn), 'action')} withdrawn: {names(d.withdrawn)}")
    added, dropped = d.redone_entries
    if added or dropped:
        parts.append("refining again today "
                     + " and ".join(f"{verb} {count(len(items), 'entry', 'entries')}"
                                    f" ({names(items)})"
                                    for verb, items in (("adds", added), ("drops", dropped))
                                    if items))
    else:
        parts.append("refining again today gives another policy" if d.redone_differs
                     else "refining again today gives the same policy")
    return (f"the catalog changed since certification (now {d.current.label}): "
            + "; ".join(parts) + f"; `verify-refine recertify {cert_path}` brings the "
            "certificate up to date")


def problem(d: Drift, cert_path: str, refined_path: str, refined: Policy,
            blocking: bool) -> Problem:
    """The gate's finding: a warning (the proof still holds), an error with --fail-on-drift;
    at the first wildcard that admits a new action, else at the certificate's slice."""
    verdict = Verdict.REFUTED if blocking else Verdict.PROVED
    text = message(d, cert_path)
    if d.admitted:
        index, entry, _ = d.admitted[0]
        span = _span(refined, index, entry)
        if span is not None:
            return Problem(RULE, text, verdict=verdict, file=refined_path, line=span.line,
                           column=span.column)
    return Problem(RULE, text, verdict=verdict, certificate_at=("catalog", "slice_sha256"))


def _span(refined: Policy, index: int, entry: str) -> Span | None:
    stmt = next((s for s in refined.statements if s.index == index), None)
    if stmt is None:
        return None
    pattern = next((p for p in stmt.patterns if p.text == entry), None)
    return pattern.span if pattern is not None and pattern.span else stmt.span
