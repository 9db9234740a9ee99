"""The refined policy as a document (the user's policy with only action lists and removed
statements changed), and the -/+ diff between the two."""

from __future__ import annotations

import difflib

from ..inputs.model import Policy, Statement
from ..jsonout import dumps
from ..refine.refiner import Refinement

KEEP = ...  # rewrite_document: this statement stays as written (a builtin singleton)


def original_document(policy: Policy) -> dict:
    return dict(policy.members)


def rewrite_document(policy: Policy, lists) -> dict:
    """The policy with statement i's action list replaced by lists[i] (a list of texts), the
    statement kept as written (KEEP) or removed (None): the same keys in the same order, a
    single string or a single statement written back as the user wrote it."""
    statements = [_with_actions(stmt, texts) for stmt, texts in zip(policy.statements, lists)
                  if texts is not None]
    doc = {}
    for key, value in policy.members:
        if key == "Statement":
            value = statements[0] if (not policy.statement_is_list and statements) \
                else statements
        doc[key] = value
    return doc


def _with_actions(stmt: Statement, texts) -> dict:
    if texts is KEEP:
        return dict(stmt.members)
    out = {}
    for key, value in stmt.members:
        if key == stmt.action_key:
            value = texts[0] if (not stmt.action_is_list and len(texts) == 1) else texts
        out[key] = value
    return out


def refined_document(ref: Refinement) -> dict:
    """The refined policy: same keys in the same order; only action lists and statements change."""
    return rewrite_document(ref.policy, [
        None if r.removed_statement else [e.text for e in r.entries] if r.changed else KEEP
        for r in ref.statements])


def diff(ref: Refinement) -> str:
    """The whole policy before and after, line by line, removed lines `-`, added lines `+`."""
    before = dumps(original_document(ref.policy)).splitlines()
    after = dumps(refined_document(ref)).splitlines()
    out = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.extend(" " + line for line in before[a0:a1])
            continue
        out.extend("-" + line for line in before[a0:a1])
        out.extend("+" + line for line in after[b0:b1])
    return "\n".join(out) + "\n"
