"""Result fingerprints for SARIF: one problem keeps its fingerprint across runs and line shifts."""

from __future__ import annotations

import hashlib
import re

KEY = "verifyRefine/v1"  # partialFingerprints key; a new version if the recipe ever changes

_POSITION = re.compile(r":\d+(?::\d+)?(?=\D|$)|\b(?:line|column|offset) \d+", re.IGNORECASE)
_PATH = re.compile(r"[^\s`'\"\[\]()]*[/\\]([^\s`'\"\[\]()/\\]+)")


def subject(problem) -> str:
    """What the problem is about, wherever its lines have moved: the obligation id when it has
    one (statement, property and slice), else its message with line and column numbers and the
    folder part of paths removed (a message names paths relative to the current folder)."""
    if problem.obligation:
        return f"obligation {problem.obligation}"
    return _PATH.sub(r"\1", _POSITION.sub("", problem.message))


def fingerprint(rule: str, uri: str, certificate_uri: str | None, about: str) -> str:
    """sha256 of the rule, the file's URI relative to the repository root, the certificate's
    (when it is another file) and the subject."""
    data = "\n".join((KEY, rule, uri, certificate_uri or "", about))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
