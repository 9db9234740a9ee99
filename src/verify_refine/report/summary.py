"""What a refinement says to its user: a summary in lines of text and a JSON result."""

from __future__ import annotations

from ..inputs.model import Statement
from ..jsonout import plain
from ..refine.refiner import KEPT, Refinement, StatementResult
from ..spec.glob import fold
from .document import refined_document

RESULT_FORMAT = "verify-refine/refine-result"
RESULT_VERSION = 1


def statement_label(stmt: Statement) -> str:
    sid = f' "{stmt.sid}"' if stmt.sid else ""
    return f"statement {stmt.index + 1}{sid} ({stmt.effect}, {stmt.action_key})"


def allowed_catalog(ref: Refinement, stmt: Statement, texts: list[str] | None) -> set[str]:
    """Folded catalog actions a statement's action element grants (None: the statement is gone)."""
    if texts is None:
        return set()
    matched = {a for t in texts for a in ref.catalog.matching(t)}
    if stmt.action_key == "NotAction":
        return set(ref.catalog.with_prefix("")) - matched
    return matched


def statement_sets(ref: Refinement, result: StatementResult) -> tuple[set[str], set[str]]:
    """The folded catalog actions a statement grants before and after its refinement."""
    stmt = result.statement
    before = allowed_catalog(ref, stmt, [p.text for p in stmt.patterns])
    after_texts = None if result.removed_statement else [e.text for e in result.entries]
    return before, allowed_catalog(ref, stmt, after_texts) if result.changed else before


def statement_figures(ref: Refinement, result: StatementResult,
                      sets: tuple[set[str], set[str]] | None = None) -> dict:
    """A statement's counts of entries and catalog actions; SETS, statement_sets() of it
    when the caller has them already."""
    stmt = result.statement
    before, after = sets or statement_sets(ref, result)
    kept = sum(1 for o in result.outcomes if o.status == KEPT) if result.outcomes \
        else len(stmt.patterns)
    generated = [] if result.removed_statement else [e for e in result.entries if e.generated]
    return {
        "entries_before": len(stmt.patterns),
        "entries_after": 0 if result.removed_statement else len(result.entries),
        "kept": kept if not result.removed_statement else 0,
        "removed": len(stmt.patterns) - kept if result.outcomes else
        (len(stmt.patterns) if result.removed_statement else 0),
        "added": len(generated),
        "catalog_actions_before": len(before),
        "catalog_actions_after": len(after),
        "catalog_actions_removed": len(before - after),
    }


def status(result: StatementResult) -> str:
    if result.statement.effect != "Allow":
        return "untouched"
    if result.removed_statement:
        return "removed"
    return "refined" if result.changed else "unchanged"


def proof_line(proof) -> str:
    if proof is None:
        return "unproved: --no-prove was given; this refinement has not been checked"
    parts = []
    last = "fitted" if "fitted" in proof.by_property() else "minimal"
    for prop in ("sound", "removes", "complete", last):
        held, total = proof.by_property().get(prop, (0, 0))
        parts.append(f"{prop} ({total} {'query' if total == 1 else 'queries'})" if total
                     else f"{prop} (by literal prefix, no query needed)")
    count = len(proof.outcomes)
    return (f"proved: {', '.join(parts)}; {count} obligations in {proof.seconds:.2f} s")


def problem_line(problem) -> str:
    """A problem as one line of text: `refuted: removes: statement 1 (obligation ...): ...`."""
    return f"{problem.verdict}: {problem.property or problem.rule}: {problem.message}"


def proof_failure(problems) -> str:
    """One line per reason a result is not proved: verdict, property, statement, reason."""
    return "\n".join(problem_line(p) for p in problems)


def summary(ref: Refinement, proof=None, extra=()) -> str:
    lines = []
    total_before = total_after = 0
    for result in ref.statements:
        fig = statement_figures(ref, result)
        total_before += fig["catalog_actions_before"]
        total_after += fig["catalog_actions_after"]
        what = status(result)
        lines.append(f"{statement_label(result.statement)}: {what}; entries {fig['entries_before']}"
                     f" -> {fig['entries_after']} ({fig['kept']} kept, {fig['removed']} removed, "
                     f"{fig['added']} added); catalog actions {fig['catalog_actions_before']}"
                     f" -> {fig['catalog_actions_after']} ({fig['catalog_actions_removed']} "
                     "removed)")
    lines.append(f"unused set: {len(ref.unused.actions)} actions, "
                 f"{len(ref.unused.services)} whole services")
    lines.append(f"catalog: {ref.catalog.label}")
    if ref.detach:
        lines.append("detach: no Allow statement remains; detach this policy from its principal")
    lines.extend(extra)
    lines.append(proof_line(proof))
    return "\n".join(lines) + "\n"


def result_json(ref: Refinement, proof=None) -> dict:
    """The machine-readable result of `refine --format json`."""
    statements = []
    for result in ref.statements:
        stmt = result.statement
        statements.append({
            "index": stmt.index,
            "sid": stmt.sid,
            "effect": stmt.effect,
            "action_key": stmt.action_key,
            "status": status(result),
            "figures": statement_figures(ref, result),
            "patterns": [{
                "text": o.pattern.text,
                "status": o.status,
                "line": o.pattern.span.line if o.pattern.span else None,
                "column": o.pattern.span.column if o.pattern.span else None,
                "catalog_matches": o.catalog_matches,
                "removed_unused": list(o.removed),
            } for o in result.outcomes],
            "entries": None if result.removed_statement else [_entry_json(e)
                                                               for e in result.entries],
        })
    return {
        "format": RESULT_FORMAT,
        "version": RESULT_VERSION,
        "catalog": {"name": ref.catalog.name, "version": ref.catalog.version,
                    "date": ref.catalog.date, "actions": ref.catalog.size},
        "unused": {"actions": sorted(ref.unused.actions, key=fold),
                   "services": sorted(ref.unused.services),
                   "not_in_catalog": sorted(ref.unused.unknown, key=fold)},
        "refined_policy": plain(refined_document(ref)),
        "detach": ref.detach,
        "proved": proof is not None and proof.verdict == "proved",
        "proof": None if proof is None else {
            "verdict": proof.verdict, "seconds": round(proof.seconds, 3),
            "properties": {p: {"obligations": t, "hold": h}
                           for p, (h, t) in proof.by_property().items()}},
        "statements": statements,
        "warnings": list(ref.warnings),
    }


def _entry_json(entry) -> dict:
    return {"text": entry.text, "origin": entry.origin, "generated": entry.generated,
            "prefix": entry.prefix, "parent": list(entry.parent), "witness": entry.witness}
