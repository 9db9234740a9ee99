"""JSON text out: 2-space pretty form keeping key order and number text, and a canonical form for hashes."""

from __future__ import annotations

import hashlib
import json

from .inputs.model import Number

REMEMBERED_MAX = 1 << 16  # distinct values dumps_remembered keeps the text of
_REMEMBERED: dict[bytes, str] = {}  # sha256 of a value's compact JSON -> its pretty text


def dumps(value, indent: int = 2) -> str:
    """Pretty JSON, as json.dumps(indent=2, ensure_ascii=False) would write it, numbers verbatim
    (written by the standard library itself when the value holds no Number)."""
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, default=_verbatim_needed)
    except _VerbatimNeeded:
        pass
    lines: list[str] = []
    _write(value, 0, indent, lines)
    return "".join(lines)


def dumps_remembered(value) -> str:
    """dumps(value), written once per distinct value (the same AWS managed policy is in every
    account of an organization): found again by the hash of its compact JSON, which the C
    encoder writes many times faster, and which equal values, keys in the same order, share."""
    try:
        compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                             default=_verbatim_needed)
    except _VerbatimNeeded:
        return dumps(value)
    digest = hashlib.sha256(compact.encode("utf-8", "surrogatepass")).digest()
    text = _REMEMBERED.get(digest)
    if text is None:
        text = _REMEMBERED[digest] = dumps(value)
        while len(_REMEMBERED) > REMEMBERED_MAX:
            del _REMEMBERED[next(iter(_REMEMBERED))]
    return text


def _write(value, depth: int, indent: int, out: list[str]) -> None:
    pad, inner = " " * (indent * depth), " " * (indent * (depth + 1))
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        for i, (key, item) in enumerate(value.items()):
            out.append(f"{inner}{json.dumps(key, ensure_ascii=False)}: ")
            _write(item, depth + 1, indent, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        out.append("[\n")
        for i, item in enumerate(value):
            out.append(inner)
            _write(item, depth + 1, indent, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "]")
    else:
        out.append(_scalar(value))


def _scalar(value) -> str:
    if isinstance(value, Number):
        return value.text
    return json.dumps(value, ensure_ascii=False)


def canonical(value) -> bytes:
    """Sorted keys, no spaces, UTF-8: equal documents give equal bytes (numbers as written).
    Written by the standard library's C encoder when no Number is in the value (the same
    bytes as _canonical, which writes the rest)."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          default=_verbatim_needed)
    except _VerbatimNeeded:
        text = _canonical(value)
    return text.encode("utf-8")


class _VerbatimNeeded(Exception):
    """A Number in the value: its text must be written as it is, which the encoder cannot."""


def _verbatim_needed(value):
    raise _VerbatimNeeded


def _canonical(value) -> str:
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_canonical(v)}"
                              for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return _scalar(value)


def plain(value):
    """The value with Numbers turned into Python numbers, for embedding in other JSON output."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Number):
        return json.loads(value.text)
    return value
