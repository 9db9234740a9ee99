"""The built-in keep list: actions that no usage data can show in use, each with its reason and
the public source that says so. They are never removed, whatever the findings say.

An entry belongs here only when AWS's own documentation says the action is recorded neither by
CloudTrail nor by last-accessed data (on which Access Analyzer's unused-access findings, IAM
Access Advisor and Security Hub's findings rest); docs/INPUTS.md lists the entries. A change of
the list is a new VERSION: a certificate records the version and hash it was made with.
"""

from __future__ import annotations

import hashlib
import json
from typing import NamedTuple


class Entry(NamedTuple):
    action: str  # an action name, or a pattern over action names
    reason: str  # why no usage data records it
    source: str  # the public page that says so


VERSION = 1

ENTRIES: tuple[Entry, ...] = (
    Entry("iam:PassRole",
          "a permission, not an API call: "
          "CloudTrail logs no event for it and IAM's last-accessed data does not track it",
          "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"),
)


def digest() -> str:
    """The sha256 of the list as certificates bind it: each entry's action, reason and source,
    in order, as compact JSON."""
    data = [[e.action, e.reason, e.source] for e in ENTRIES]
    return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()
