"""AWS's alphabet of action strings: what every reader accepts as a service prefix, an action
name or an action pattern, and the one-line reason when a text is outside it.

Every action AWS publishes is `service:Name` with the service prefix in lower-case letters,
digits and `-`, and the name in letters, digits and `-` (docs/INPUTS.md). The readers accept a
little more (upper case in prefixes, `_` and `.` in names, as older catalogs and hand-written
lists use them) and nothing outside ASCII: case folding is then plain ASCII lower-casing in
every reader and matcher alike, and every string fits the solver's alphabet.
"""

from __future__ import annotations

import string

SERVICE_CHARS = frozenset(string.ascii_letters + string.digits + "-")
NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")
WILDCARDS = frozenset("*?")
SERVICE_RULE = "service prefixes are letters, digits and '-'"
NAME_RULE = "action names are letters, digits, '-', '_' and '.'"
RULE = f"{SERVICE_RULE}, {NAME_RULE} (and * ? wildcards in a pattern)"


def _first_outside(text: str, allowed: frozenset) -> str | None:
    return next((ch for ch in text if ch not in allowed), None)


def _holds(ch: str, what: str, rule: str) -> str:
    shown = f"'{ch}' " if ch.isprintable() and ch not in "'\\" else ""
    return f"holds {shown}(U+{ord(ch):04X}), which no {what} does: {rule}"


# Each *_problem function returns why a text is not what it should be, as words that follow
# the quoted text in a message (`"İam:*" holds 'İ' (U+0130), ...`), or None when it is fine.

def service_problem(service: str) -> str | None:
    """Why a text is not a service prefix."""
    if not service:
        return "is not a service prefix (it is empty)"
    bad = _first_outside(service, SERVICE_CHARS)
    return None if bad is None else _holds(bad, "service prefix", SERVICE_RULE)


def name_problem(name: str) -> str | None:
    """Why a text is not an action name (without its service prefix)."""
    if not name:
        return "is not an action name (it is empty)"
    bad = _first_outside(name, NAME_CHARS)
    return None if bad is None else _holds(bad, "action name", NAME_RULE)


def pattern_problem(pattern: str) -> str | None:
    """Why a text is not an action pattern: `service:Name` with `*` and `?` anywhere, or
    wildcards alone."""
    if pattern and not pattern.strip("*?"):
        return None
    service, colon, name = pattern.partition(":")
    bad = _first_outside(service, SERVICE_CHARS | WILDCARDS)
    if bad is None and colon:
        bad = _first_outside(name, NAME_CHARS | WILDCARDS)
    if bad is not None and bad != ":":
        return _holds(bad, "action", RULE)
    if not (service and colon and name) or bad == ":":
        return "is not an action (service:Action)"
    return None
