"""The policies a certificate names: a policy file, or the policy at an address of a template
(`addresses` in the certificate), extracted as refine extracted it."""

from __future__ import annotations

from ..files import read_input
from ..inputs.model import Policy
from ..inputs.wrappers import load_policy
from . import extract, targets
from .reading import read_sources


def addresses(cert: dict) -> dict[str, str]:
    """The certificate's `addresses` ("original", "refined"), {} when it names none."""
    recorded = cert.get("addresses")
    return {k: v for k, v in recorded.items() if isinstance(v, str)} \
        if isinstance(recorded, dict) else {}


def load(path: str, address: str | None, what: str, allow_empty: bool = False) -> Policy:
    """The policy in the file at PATH, or at ADDRESS of the template there."""
    if address is None:
        return load_policy(read_input(path, what), path, allow_empty)
    _, found = targets.by_address(read_sources(path), address)
    return extract.as_policy(found, allow_empty)
