"""The user-facing error types: their str() is the one line the CLI prints."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (exit 2): a file that cannot be read, parsed or understood."""

    def __init__(self, message: str, source: str | None = None,
                 line: int | None = None, column: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = _one_line(self.source or "")
        if where and self.line is not None:
            where += f":{self.line}:{self.column if self.column is not None else 1}"
        return f"{where}: {_one_line(self.message)}" if where else _one_line(self.message)


def _one_line(text: str) -> str:
    """text with every character that is not printable (a line break, NUL, a lone surrogate)
    written as an escape, so that an error is always one line of text."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else escape(ch) for ch in text)


def escape(ch: str) -> str:
    """A character as a JSON-style escape: \\u00e9, or \\U0010ffff beyond U+FFFF."""
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


class UsageError(InputError):
    """A command line that does not make sense (exit 2)."""
