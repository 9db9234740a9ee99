"""A policy found in infrastructure code as the policy the prover reads: its document written as
JSON (every opaque value as the reader kept it), parsed by the policy reader."""

from __future__ import annotations

from ..errors import InputError
from ..inputs.model import Policy
from ..inputs.policy import parse_policy
from ..jsonout import dumps
from .model import FoundPolicy


def policy_text(found: FoundPolicy) -> str:
    """The extracted policy as a JSON file would hold it (2-space JSON, a final newline)."""
    return dumps(found.document) + "\n"


def label(found: FoundPolicy) -> str:
    """How messages about the extracted policy name it: `FILE (ADDRESS)`."""
    return f"{found.path} ({found.address})"


def as_policy(found: FoundPolicy, allow_empty: bool = False) -> Policy:
    """The extracted policy, read as any policy is (its lines and columns are those of
    policy_text, which messages name with `label`)."""
    return parse_policy(policy_text(found).encode("utf-8"), label(found), allow_empty)


def problem(found: FoundPolicy) -> str | None:
    """Why the extracted document is not a policy the tool reads (the policy reader's message
    without its position), or None."""
    try:
        as_policy(found)
    except InputError as error:
        return error.message
    return None
