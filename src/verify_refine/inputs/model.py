"""Frozen dataclasses for a parsed policy: Policy, Statement, Pattern, Span (stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    """Where a piece of text sits in its source: 1-based line and column, 0-based offsets."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Node:
    """A JSON value with its span; objects and arrays keep their parts with spans too."""

    value: Any
    span: Span
    members: tuple[tuple[Node, Node], ...] = ()  # objects: (key, value) in source order
    items: tuple[Node, ...] = ()  # arrays


@dataclass(frozen=True)
class Number:
    """A JSON number kept as the user wrote it, so output reproduces it byte for byte."""

    text: str


@dataclass(frozen=True)
class Pattern:
    """One entry of Action or NotAction: the user's text and where it stands."""

    text: str
    span: Span | None = None


# A JSON value as the parser hands it on: dict (in source order), list, str, bool, None, Number.
JsonValue = Any


@dataclass(frozen=True)
class Statement:
    """One statement: its action element apart, every other element kept as written."""

    index: int
    effect: str  # "Allow" or "Deny"
    action_key: str | None  # "Action", "NotAction", or None when the statement has neither
    patterns: tuple[Pattern, ...]
    action_is_list: bool  # the user wrote a list (True) or a single string (False)
    members: tuple[tuple[str, JsonValue], ...]  # every key in source order; action value too
    sid: str | None = None
    span: Span | None = None

    def member(self, key: str) -> JsonValue:
        for name, value in self.members:
            if name == key:
                return value
        return None


@dataclass(frozen=True)
class Policy:
    """A policy document: its top-level members in order and its statements."""

    members: tuple[tuple[str, JsonValue], ...]  # top-level keys in source order
    statements: tuple[Statement, ...]
    statement_is_list: bool
    source: str = "<policy>"
    statement_span: Span | None = field(default=None)
    # The bytes it was parsed from: the proof kernel reads the document from them again.
    raw: bytes | None = field(default=None, repr=False, compare=False)
