"""A refinement's provenance as proof hints: plain data the prover checks, never trusts."""

from __future__ import annotations

from .refiner import Refinement


def hints(ref: Refinement) -> dict:
    """Statement pairing, each entry's original pattern, and each generated entry's node."""
    rows, j = [], 0
    for i, result in enumerate(ref.statements):
        if result.removed_statement:
            rows.append({"original": i, "refined": None})
            continue
        not_action = result.statement.action_key == "NotAction"
        entries = []
        for entry in result.entries:
            row = {"origin": None if (not_action and entry.generated) else entry.origin_index}
            if entry.generated:
                row.update(node=entry.prefix, unsafe=entry.unsafe, witness=entry.witness)
            entries.append(row)
        rows.append({"original": i, "refined": j, "entries": entries})
        j += 1
    return {"statements": rows}
