"""Where an original policy edited after certification was edited: the first statement whose
obligations, regenerated from the edited file, are not the ones the certificate records."""

from __future__ import annotations

from .. import catalog_slice
from ..inputs.findings import UnusedSet
from ..inputs.model import Policy
from ..prove import obligations


def edited_statement(cert: dict, original: Policy, refined: Policy,
                     unused: UnusedSet) -> int | None:
    """The 0-based index of the first original statement that the certificate's obligations
    (or the structure checks against the refined policy) no longer describe, or None when no
    statement can be told apart (an edit outside the statements, or one no obligation reads).
    Only for placing a VR-stale problem: the certificate is refused whatever this says."""
    try:
        hints = cert.get("hints") if isinstance(cert.get("hints"), dict) else {}
        plan = obligations.plan(original, refined, unused, catalog_slice.catalog_of(cert), hints)
    except Exception:  # noqa: BLE001 - a location is a courtesy; the failure stands anyway
        return None
    if plan.problems:  # the pairing with the refined policy failed: no obligations to compare
        return _first({p.statement for p in plan.problems}, original)
    records = cert.get("obligations") if isinstance(cert.get("obligations"), list) else []
    recorded = {r.get("id"): r for r in records if isinstance(r, dict)}
    regenerated = {ob.id for ob in plan.obligations}
    differing = {ob.statement for ob in plan.obligations
                 if recorded.get(ob.id, {}).get("smt2") != ob.smt2}
    differing |= {r.get("statement") for ident, r in recorded.items()
                  if ident not in regenerated}
    return _first(differing, original)


def _first(statements: set, original: Policy) -> int | None:
    inside = [i for i in statements if isinstance(i, int) and not isinstance(i, bool)
              and 0 <= i < len(original.statements)]
    return min(inside) if inside else None
