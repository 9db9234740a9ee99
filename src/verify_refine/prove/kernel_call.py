"""Hands a refinement to the proof kernel as plain data: JSON documents, names, untrusted hints."""

from __future__ import annotations

import json

from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.model import Policy
from ..jsonout import plain
from ..verdict import Problem, Verdict, rule_for
from . import kernel


def document(policy: Policy, raw: bytes | None = None) -> dict:
    """The document as Python's json reads the file when it is a bare policy (so the kernel
    does not rely on our parser), else as the parser extracted it from an AWS wrapper."""
    if raw is not None:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and "Statement" in data:
            return data
    return plain(dict(policy.members))


def catalog_actions(catalog: Catalog) -> tuple[str, ...]:
    return catalog.action_names()


def check(original: dict, refined: dict, unused: UnusedSet, catalog: Catalog, hints,
          timeout_s: float) -> tuple[list[Problem], int]:
    """The kernel's problems with the REFINED document as a refinement of the ORIGINAL one, by
    the unused set the findings file's bytes name (the kernel reads them itself), which must
    be the one refined by; and how many solver queries it made."""
    result = kernel.check(original, refined, unused.kernel_bytes(), catalog_actions(catalog),
                          hints if isinstance(hints, dict) else {}, timeout_s,
                          claimed=(unused.actions, unused.services))
    problems = [_problem(item, Verdict.REFUTED) for item in result.failures]
    problems += [_problem(item, Verdict.UNKNOWN) for item in result.unknown]
    return problems, result.queries


def _problem(item: tuple, verdict: Verdict) -> Problem:
    prop, statement, message = item
    where = f"statement {statement + 1}: " if statement is not None else ""
    return Problem(rule_for(prop, verdict), f"{where}{message} (proof kernel)", prop, verdict,
                   statement)
