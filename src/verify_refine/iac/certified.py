"""The policies a certificate names: a policy file, or the policy at an address of a template
(`addresses` in the certificate), extracted as refine extracted it and placed in the template
(each statement at its action list's line), so that problems point into the template."""

from __future__ import annotations

import dataclasses
import os

from ..files import read_input
from ..inputs.model import Policy, Span
from ..inputs.wrappers import load_policy
from . import extract, targets
from .model import FoundPolicy, Place
from .reading import read_sources


def addresses(cert: dict) -> dict[str, str]:
    """The certificate's `addresses` ("original", "refined"), {} when it names none."""
    recorded = cert.get("addresses")
    return {k: v for k, v in recorded.items() if isinstance(v, str)} \
        if isinstance(recorded, dict) else {}


def load(path: str, address: str | None, what: str, allow_empty: bool = False) -> Policy:
    """The policy in the file at PATH, or at ADDRESS of the template there (a policy that is
    no longer there, renamed or removed, is bad input naming the template)."""
    if address is None:
        return load_policy(read_input(path, what), path, allow_empty)
    # A Terraform file is read with its folder: a policy document may be declared in one
    # file and used in another.
    where = (os.path.dirname(path) or ".") if path.endswith(".tf") else path
    _, found = targets.by_address(read_sources(where), address)
    return located(found, extract.as_policy(found, allow_empty))


def located(found: FoundPolicy, policy: Policy) -> Policy:
    """POLICY with its statements placed where FOUND's are in the source: each at its action
    list (where a refinement changes it), the Statement list at the policy."""
    statements = tuple(
        dataclasses.replace(stmt, span=_span(source.value.place))
        for stmt, source in zip(policy.statements, found.statements))
    return dataclasses.replace(policy, statements=statements,
                               statement_span=_span(found.place))


def _span(place: Place) -> Span:
    return Span(place.line, place.column, place.line, place.column)
