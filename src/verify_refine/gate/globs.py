"""Globs over relative paths (the gate's --require and --exclude), checked up front."""

from __future__ import annotations

import re
from pathlib import PureWindowsPath

from ..errors import UsageError


def compile_glob(glob: str, option: str) -> re.Pattern:
    """glob as a regex over relative paths: `*` and `?` stay within a folder name, `**` spans
    folders, `[abc]`, `[a-z]` and `[!abc]` (or `[^abc]`) are character classes; a backslash is a
    folder separator, as on Windows. Every character reaches the regex escaped, so the regex
    always compiles; a glob that cannot mean a relative path is a UsageError naming option."""
    def bad(why: str) -> UsageError:
        return UsageError(f"gate: {option} {glob!r}: {why}")

    text = glob.replace("\\", "/")
    if not text.strip():
        raise bad("empty glob; expected a path relative to the folder, such as "
                  "'**/*.refined.json'")
    if text.startswith("/") or PureWindowsPath(glob).drive:
        raise bad("absolute glob; expected a path relative to the folder")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts:
        raise bad("matches no file; expected a path relative to the folder")
    if ".." in parts:
        raise bad("`..` leaves the folder; expected a path inside it")
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        try:
            out.append(_segment(part) + ("" if last else "/"))
        except ValueError as exc:
            raise bad(str(exc)) from None
    try:
        return re.compile("".join(out) + r"\Z", re.S)
    except (re.error, RecursionError, OverflowError) as exc:  # not expected: all is escaped
        raise bad(f"not a usable glob ({exc})") from None


def _segment(part: str) -> str:
    """One folder or file name of a glob as a regex that never crosses a '/'."""
    out, i = [], 0
    while i < len(part):
        char = part[i]
        if char == "*":
            while i + 1 < len(part) and part[i + 1] == "*":
                i += 1  # `a**b` within one name is `a*b`
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            regex, i = _char_class(part, i)
            out.append(regex)
            continue
        elif char == "]":
            raise ValueError("`]` without an opening `[` (write `[]]` for the character)")
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _char_class(part: str, start: int) -> tuple[str, int]:
    """The class that opens at part[start] ('['): its regex, and where the glob goes on."""
    i = start + 1
    negate = i < len(part) and part[i] in "!^"
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while True:
        if i >= len(part):
            raise ValueError("`[` without a closing `]`")
        char = part[i]
        if char == "]" and not first:
            break
        first = False
        if i + 2 < len(part) and part[i + 1] == "-" and part[i + 2] != "]":
            low, high = char, part[i + 2]
            if low > high:
                raise ValueError(f"empty character range `{low}-{high}` (the first character "
                                 "must not come after the second)")
            items.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            items.append(re.escape(char))
            i += 1
    body = "".join(items)
    return (f"[^/{body}]" if negate else f"[{body}]"), i + 1
