"""Hands a refinement to the proof kernel as plain data: JSON documents, names, untrusted hints."""

from __future__ import annotations

import json

from .catalog import Catalog
from .findings import UnusedSet
from .jsonout import plain
from .model import Policy
from .smt import kernel


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


def catalog_actions(catalog: Catalog) -> list[str]:
    return [f"{service}:{name}" for service, names in catalog.services.items() for name in names]


def check(original: dict, refined: dict, unused: UnusedSet, catalog: Catalog, hints,
          timeout_s: float) -> kernel.Result:
    """The kernel's verdict on the REFINED document as a refinement of the ORIGINAL one, by
    the unused set the findings file's bytes name (the kernel reads them itself), which must
    be the one refined by."""
    return kernel.check(original, refined, unused.findings_bytes(), catalog_actions(catalog),
                        hints if isinstance(hints, dict) else {}, timeout_s,
                        claimed=(unused.actions, unused.services))
