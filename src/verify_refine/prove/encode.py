"""Patterns as SMT-LIB2 regular expressions over folded (lower-cased) strings; string literals escaped."""

from __future__ import annotations

import re

from ..errors import InputError
from ..spec.glob import ONE, STAR, fold

LOGIC = "(set-logic QF_S)\n"
NOTHING = "re.none"
MAX_CODE_POINT = 0x2FFFF  # SMT-LIB strings hold code points up to here
_PLAIN = re.compile(r'[\x20-\x21\x23-\x5b\x5d-\x7e]*')


def string_literal(text: str) -> str:
    """An SMT-LIB2 string literal: `"` doubled, everything but printable ASCII as \\u{hex}."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    out = []
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('""')
        elif 0x20 <= code <= 0x7E and ch != "\\":
            out.append(ch)
        elif code <= MAX_CODE_POINT:
            out.append("\\u{%x}" % code)
        else:  # the readers never let one through (alphabet.py); a library caller might
            raise InputError(f"{text!r} holds U+{code:X}, outside the SMT-LIB string alphabet "
                             f"(up to U+{MAX_CODE_POINT:X}): it cannot be proved")
    return '"' + "".join(out) + '"'


def regex(pattern: str) -> str:
    """The regular expression of lang(pattern) over folded strings: `*` any run, `?` one char."""
    parts, run = [], []
    for ch in fold(pattern):
        if ch in (STAR, ONE):
            if run:
                parts.append(f"(str.to_re {string_literal(''.join(run))})")
                run = []
            parts.append("re.all" if ch == STAR else "re.allchar")
        else:
            run.append(ch)
    if run:
        parts.append(f"(str.to_re {string_literal(''.join(run))})")
    if not parts:
        return '(str.to_re "")'
    return parts[0] if len(parts) == 1 else f"(re.++ {' '.join(parts)})"


def union(patterns) -> str:
    """The regex of the union of the patterns' languages (re.none when there are none)."""
    parts = [regex(p) for p in patterns]
    if not parts:
        return NOTHING
    return parts[0] if len(parts) == 1 else f"(re.union {' '.join(parts)})"


def starts_with(prefix: str) -> str:
    """The regex of every string that starts with the (folded) prefix."""
    if not prefix:
        return "re.all"
    return f"(re.++ (str.to_re {string_literal(fold(prefix))}) re.all)"


def member(text: str, regex_text: str) -> str:
    return f"(str.in_re {string_literal(fold(text))} {regex_text})"


class Atoms:
    """Ground memberships as Boolean constants, each defined once in a query that uses it:
    `(declare-const m7 Bool)` and `(assert (= m7 (str.in_re "s3:getobject" ...)))`.

    Ground facts are then small formulas over these constants. Written inline instead, a
    membership in the union of many patterns, or a long `or` of memberships, costs z3 time
    quadratic in their number while it reads the query (it simplifies the whole `or` again for
    each argument): 400 patterns of 30 stars took 7 s before the timeout could apply, and 40
    patterns' union 25 s. Defined one by one, each is decided in time linear in the string."""

    NAME = re.compile(r"\bm\d+\b")

    def __init__(self):
        self.names: dict[tuple[str, str], str] = {}
        self.lines: dict[str, str] = {}

    def member(self, text: str, pattern: str) -> str:
        key = (fold(text), fold(pattern))
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"m{len(self.names)}"
            self.lines[name] = (f"(declare-const {name} Bool)\n"
                                f"(assert (= {name} {member(text, regex(pattern))}))")
        return name

    def member_any(self, text: str, patterns) -> str:
        """The ground string is in some pattern (`false` when there is none)."""
        parts = [self.member(text, p) for p in patterns]
        if not parts:
            return "false"
        return parts[0] if len(parts) == 1 else f"(or {' '.join(parts)})"

    def defining(self, formulas) -> list[str]:
        """The definitions of the constants the formulas use, in the order they were made."""
        used = {name for f in formulas for name in self.NAME.findall(f)}
        return [line for name, line in self.lines.items() if name in used]
