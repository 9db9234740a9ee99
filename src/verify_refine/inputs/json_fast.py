"""The fast road to a JSON tree with positions: text the standard library's C decoder accepts is cut into tokens by one regular expression and built into the same Node tree the grammar's parser builds; anything else (and every error) goes to the grammar."""

from __future__ import annotations

import bisect
import json
import re

from .model import Node, Number, Span

# One token after optional whitespace. Only ever run over text json.loads has accepted, so the
# alternatives need not reject anything: they only tell the kinds apart and give the bounds.
_TOKEN = re.compile(r'[ \t\n\r]*(?:("(?:[^"\\]|\\.)*")|([-0-9][-+.0-9eE]*)|(true|false|null)'
                    r'|([{}\[\],:]))')
_LITERALS = {"true": True, "false": False, "null": None}
# A UTF-16 surrogate left in a decoded string: an escape the decoder takes unpaired and the
# grammar's reader refuses (a paired escape decodes to one character beyond U+FFFF).
_SURROGATE = re.compile("[\ud800-\udfff]")
_scanstring = json.decoder.scanstring
_NEWLINE = re.compile("\n")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # or an escaped backslash before "u"


def unique_pairs(pairs):
    """json.loads' object hook: an object, unless a key repeats (the grammar refuses that)."""
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate key")
    return value


def not_json(word: str):
    """json.loads' constant hook: NaN and Infinity are not JSON."""
    raise ValueError(f"{word} is not JSON")


def accepts(text: str) -> bool:
    """Whether json.loads reads text as the grammar would (no duplicate keys, NaN or Infinity,
    unpaired surrogates are left to tree(), and so is nesting depth."""
    try:
        json.loads(text, object_pairs_hook=unique_pairs, parse_constant=not_json,
                   parse_int=len, parse_float=len)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return False
    return True


def values(text: str, max_depth: int) -> tuple[bool, object]:
    """(True, the value the grammar's tree holds) for text read alike by the decoder and the
    grammar, numbers as Number; (False, None) when the grammar must read it: refused by the
    decoder, an escape that may be a surrogate, or nested deeper than max_depth."""
    if _ESCAPED_SURROGATE.search(text):
        return False, None
    try:
        value = json.loads(text, object_pairs_hook=unique_pairs, parse_constant=not_json,
                           parse_int=Number, parse_float=Number)
    except (ValueError, RecursionError):
        return False, None
    # a value nests no deeper than it has brackets: most texts need no walk
    shallow = text.count("{") + text.count("[") <= max_depth or _depth(value) <= max_depth
    return (True, value) if shallow else (False, None)


def _depth(value) -> int:
    """How many containers deep value nests (0 for a scalar)."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        parts = item.values() if isinstance(item, dict) else item if isinstance(item, list) \
            else None
        if parts is None:
            continue
        deepest = max(deepest, depth)
        level.extend((part, depth + 1) for part in parts
                     if isinstance(part, (dict, list)))
    return deepest


def tree(text: str, max_depth: int) -> Node | None:
    """The Node tree of text, equal to the grammar's, or None when the grammar must read it:
    text the decoder refuses, or nested deeper than max_depth."""
    if not accepts(text):
        return None
    escapes = "\\u" in text  # only an escape can make a surrogate
    breaks = [m.start() for m in _NEWLINE.finditer(text)]

    def span(start: int, end: int) -> Span:
        line = bisect.bisect_left(breaks, start)
        line_start = breaks[line - 1] + 1 if line else 0
        end_line = bisect.bisect_left(breaks, end - 1)
        end_start = breaks[end_line - 1] + 1 if end_line else 0
        return Span(line + 1, start - line_start + 1, end_line + 1, end - end_start + 1,
                    start, end)

    stack: list[list] = []  # open containers: [start, is_object, parts, pending key]
    for match in _TOKEN.finditer(text):
        string, number, literal, mark = match.groups()
        start, end = match.start(match.lastindex), match.end()
        if mark is not None:
            if mark in "{[":
                if len(stack) == max_depth:
                    return None
                stack.append([start, mark == "{", [], None])
                continue
            if mark in ",:":
                continue
            opened, is_object, parts, _ = stack.pop()
            if is_object:
                node = Node({key.value: item.value for key, item in parts}, span(opened, end),
                            members=tuple(parts))
            else:
                node = Node([item.value for item in parts], span(opened, end),
                            items=tuple(parts))
        elif string is not None:
            value = _scanstring(text, start + 1)[0]
            if escapes and _SURROGATE.search(value):
                return None
            node = Node(value, span(start, end))
        elif number is not None:
            node = Node(Number(number), span(start, end))
        else:
            node = Node(_LITERALS[literal], span(start, end))
        if not stack:
            return node
        frame = stack[-1]
        if not frame[1]:
            frame[2].append(node)
        elif frame[3] is None and string is not None:
            frame[3] = node
        else:
            frame[2].append((frame[3], node))
            frame[3] = None
    return None
