"""Patterns as SMT-LIB2 regular expressions over folded (lower-cased) strings; string literals escaped."""

from __future__ import annotations

import re

from ..errors import InputError
from ..glob import ONE, STAR, fold

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
