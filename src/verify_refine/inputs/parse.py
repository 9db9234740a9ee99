"""Policy text to model, with file:line:column errors; the one module that uses Lark."""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
import re
from dataclasses import dataclass
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from ..errors import InputError, escape
from ..spec.alphabet import pattern_problem
from .model import JsonValue, Number, Pattern, Policy, Span, Statement

MAX_DEPTH = 64
# Policies given as input: bytes, and Action and NotAction entries. IAM's largest policy (a
# role's inline policies, 10,240 characters without whitespace) holds at most 2,560 entries
# (`"*",` is four characters). A refined policy (this tool's output, read back by check, gate
# and verify) may hold more: the refined forms of the 1,594 AWS managed policies hold up to
# 12,488 entries and 509 KB, and a refinement can hold catalog actions besides its input's
# own entries (docs/INPUTS.md).
MAX_POLICY_BYTES = 1024 * 1024
MAX_ENTRIES = 5_000  # twice the most IAM accepts
MAX_REFINED_BYTES = 4 * 1024 * 1024
MAX_REFINED_ENTRIES = 50_000
VERSIONS = ("2012-10-17", "2008-10-17")
EFFECTS = ("Allow", "Deny")

_BOM = "\ufeff"
_OPENERS = ("LBRACE", "LSQB")
_CLOSERS = ("RBRACE", "RSQB")


class _Problem(Exception):
    """An error found before the source name is at hand; parse_* turn it into InputError."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    @classmethod
    def at(cls, message: str, span: Span) -> _Problem:
        return cls(message, span.line, span.column)

    def in_file(self, source: str) -> InputError:
        return InputError(self.message, source, self.line, self.column)


@dataclass(frozen=True)
class _Node:
    """A JSON value with its span; objects and arrays keep their parts with spans too."""

    value: JsonValue
    span: Span
    members: tuple[tuple[_Node, _Node], ...] = ()  # objects: (key, value) in source order
    items: tuple[_Node, ...] = ()  # arrays


# --- grammar and Lark parser ---------------------------------------------------------------------

def load_grammar_text() -> str:
    """The text of policy.lark: from the installed package, else from the source tree."""
    packaged = importlib.resources.files("verify_refine") / "grammar" / "policy.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source_tree = Path(__file__).resolve().parents[3] / "grammar" / "policy.lark"
    return source_tree.read_text(encoding="utf-8")


def _span(first: Token, last: Token) -> Span:
    return Span(first.line, first.column, last.end_line, last.end_column,
                first.start_pos, last.end_pos)


_ESCAPE = re.compile(
    r"\\u(?P<high>[dD][89abAB][0-9a-fA-F]{2})\\u(?P<low>[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\u(?P<unit>[0-9a-fA-F]{4})"
    r"|\\(?P<char>.)"
)
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f",
                   "n": "\n", "r": "\r", "t": "\t"}


def _unescape(token: Token) -> str:
    """The text of a STRING token (already valid per the grammar), escapes decoded."""
    body = token[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match) -> str:
        if match["high"]:
            high, low = int(match["high"], 16), int(match["low"], 16)
            return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        if match["unit"]:
            code = int(match["unit"], 16)
            if 0xD800 <= code <= 0xDFFF:
                offset = match.start() + 1  # +1 for the opening quote
                raise _Problem(f"unpaired surrogate \\u{match['unit']} in string",
                               token.line, token.column + offset)
            return chr(code)
        return _SIMPLE_ESCAPES[match["char"]]

    return _ESCAPE.sub(replace, body)


class _Builder(Transformer):
    """Inline LALR callbacks: each grammar rule becomes a _Node, bottom up, without recursion."""

    def start(self, children):
        return children[0]

    def string(self, children):
        (token,) = children
        return _Node(_unescape(token), _span(token, token))

    def number(self, children):
        (token,) = children
        return _Node(Number(str(token)), _span(token, token))

    def literal(self, children):
        (token,) = children
        value = {"TRUE": True, "FALSE": False, "NULL": None}[token.type]
        return _Node(value, _span(token, token))

    def member(self, children):
        key, value = children
        return (self.string([key]), value)

    def array(self, children):
        items = tuple(children[1:-1])
        return _Node([item.value for item in items], _span(children[0], children[-1]),
                     items=items)

    def object(self, children):
        members = tuple(children[1:-1])
        first_seen: dict[str, _Node] = {}
        for key, _ in members:
            earlier = first_seen.setdefault(key.value, key)
            if earlier is not key:
                raise _Problem.at(f"duplicate key {_quote(key.value)} (first at line "
                                  f"{earlier.span.line}, column {earlier.span.column})", key.span)
        value = {key.value: item.value for key, item in members}
        return _Node(value, _span(children[0], children[-1]), members=members)


@functools.cache
def _parser() -> Lark:
    return Lark(load_grammar_text(), parser="lalr", lexer="basic",
                transformer=_Builder(), maybe_placeholders=False)


# --- text and positions --------------------------------------------------------------------------

def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of text[offset], counting lines as Lark does (by '\\n')."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def decode(data: bytes, source: str) -> str:
    """The UTF-8 text of data without a leading BOM: the text that Span offsets index."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8").removeprefix(_BOM)
        line, column = _position(before, len(before))
        raise InputError(f"not UTF-8 text (invalid byte 0x{data[error.start]:02x})",
                         source, line, column) from None
    return text.removeprefix(_BOM)


def _quote(text: str, limit: int = 40) -> str:
    """text as a one-line JSON string for a message, shortened when long."""
    if len(text) > limit:
        text = text[:limit] + "..."
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(char if char.isprintable() else escape(char) for char in quoted)


# --- JSON ----------------------------------------------------------------------------------------

def parse_json(data: bytes, source: str) -> JsonValue:
    """Any JSON document as Python values: dict (source order), list, str, bool, None, Number."""
    return _parse_tree(data, source).value


def load_json(data: bytes, source: str):
    """Any JSON document as plain Python values (dict, list, str, int, float, bool, None), read
    by the standard library for speed: catalogs and certificates are large and machine-written.
    What parse_json rejects is rejected too (duplicate keys, NaN, unpaired surrogates, ...), with
    parse_json's message and position. Integers too long for int() stay Number."""
    text = decode(data, source)
    if _SURROGATE_ESCAPE.search(text):
        _parse_tree(data, source)  # the standard library accepts an unpaired surrogate
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_not_json,
                          parse_int=_int)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        pass
    _parse_tree(data, source)  # raises the error with its line and column
    raise InputError("not valid JSON", source, 1, 1)  # both readers reject the same text


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _unique_pairs(pairs):
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate key")
    return value


def _not_json(word: str):
    raise ValueError(f"{word} is not JSON")


def _int(text: str):
    return int(text) if len(text) <= 4000 else Number(text)


def json_position(data: bytes, source: str, path: tuple = (), key: bool = False
                  ) -> tuple[int, int]:
    """Line and column of the value at path (object keys and list indexes) in a JSON document,
    of its key when key is set; where the path leads nowhere, of the last value it reaches."""
    node, key_node = _parse_tree(data, source), None
    for step in path:
        if isinstance(step, int) and isinstance(node.value, list) and 0 <= step < len(node.items):
            node, key_node = node.items[step], None
            continue
        member = next(((k, v) for k, v in node.members if k.value == step), None)
        if member is None or isinstance(step, int):
            break
        key_node, node = member
    where = key_node if key and key_node is not None else node
    return where.span.line, where.span.column


def _parse_tree(data: bytes, source: str) -> _Node:
    text = decode(data, source)
    try:
        if not text.strip(" \t\r\n"):
            raise _Problem("empty document", 1, 1)
        return _run_parser(text)
    except _Problem as problem:
        raise problem.in_file(source) from None


def _run_parser(text: str) -> _Node:
    """Feed Lark token by token, keeping the open brackets: over-deep nesting stops the parse
    at its first bracket too many, and an unexpected token is explained by where it stands."""
    interactive = _parser().parse_interactive(text)
    open_brackets: list[str] = []
    last = None
    try:
        for token in interactive.iter_parse():
            # iter_parse feeds a token after yielding it: reaching here means `last` was accepted.
            if last is not None and last.type in _CLOSERS:
                open_brackets.pop()
            if token.type in _OPENERS:
                open_brackets.append(token.type)
                if len(open_brackets) > MAX_DEPTH:
                    raise _Problem.at(f"nesting deeper than {MAX_DEPTH} levels",
                                      _span(token, token))
            last = token
        return interactive.feed_eof(last)
    except UnexpectedCharacters as error:
        raise _character_problem(text, error.pos_in_stream) from None
    except UnexpectedToken as error:
        inside = open_brackets[-1] if open_brackets else None
        raise _token_problem(text, error, inside) from None


def _character_problem(text: str, offset: int) -> _Problem:
    """A character no token can start with; strings get a closer look."""
    char = text[offset]
    if char == '"':
        return _string_problem(text, offset)
    if char == "'":
        return _Problem("single-quoted string (JSON needs double quotes)", *_position(text, offset))
    word = re.match(r"[A-Za-z_$][\w$]*", text[offset:offset + 40])
    if word:
        return _Problem(f"unexpected {_quote(word[0])}", *_position(text, offset))
    return _Problem(f"unexpected character {_describe(char)}", *_position(text, offset))


def _describe(char: str) -> str:
    return _quote(char) if char.isprintable() else f"U+{ord(char):04X}"


_STRING_PART = re.compile(r'[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}')


def _string_problem(text: str, start: int) -> _Problem:
    """Why the string opening at text[start] is not a JSON string."""
    offset = start + 1
    while (part := _STRING_PART.match(text, offset)) is not None:
        offset = part.end()
    following = text[offset + 1:offset + 2]
    # A string cannot span lines: a line break in one means its closing quote is missing.
    if offset == len(text) or text[offset] in "\r\n" or (text[offset] == "\\" and not following):
        return _Problem("unterminated string", *_position(text, start))
    if text[offset] != "\\":
        return _Problem(f"raw control character U+{ord(text[offset]):04X} in string",
                        *_position(text, offset))
    if following == "u":
        return _Problem("invalid \\u escape (needs 4 hex digits)", *_position(text, offset))
    message = (f"invalid escape \\{following} in string" if following.isprintable()
               else f"invalid escape: backslash before {_describe(following)}")
    return _Problem(message, *_position(text, offset))


def _token_problem(text: str, error: UnexpectedToken, inside: str | None) -> _Problem:
    """A token that cannot come here: say what could, in words. inside is the innermost open
    bracket (LBRACE, LSQB or None), as LALR states after a value are shared by all contexts."""
    token = error.token
    if token.type == "$END":
        return _Problem("unexpected end of input", *_position(text, len(text)))
    if token.type in _CLOSERS:
        before = len(text[: token.start_pos].rstrip(" \t\r\n")) - 1
        if before >= 0 and text[before] == ",":
            return _Problem("trailing comma", *_position(text, before))
    return _Problem(_expectation(set(error.expected), inside), token.line, token.column)


def _expectation(expected: set[str], inside: str | None) -> str:
    if "COLON" in expected:
        return "expected ':'"
    if "COMMA" in expected or "$END" in expected:
        return {"LBRACE": "expected ',' or '}'", "LSQB": "expected ',' or ']'",
                None: "unexpected text after the document"}[inside]
    if "NUMBER" in expected:
        return "expected a value or ']'" if "RSQB" in expected else "expected a value"
    if "RBRACE" in expected:
        return "expected a string key or '}'"
    return "expected a string key"


# --- IAM policy structure ------------------------------------------------------------------------

def parse_policy(data: bytes, source: str, allow_empty: bool = False,
                 alphabet: bool = True) -> Policy:
    """A policy document: JSON with positions, checked against IAM's grammar, as a model.Policy.

    `allow_empty` marks a refined policy: it admits `"Statement": []`, which a refined policy
    holds when nothing is left to allow (the policy is to be detached; IAM itself rejects it
    as input), and a refined policy's larger limits. `alphabet=False` lets any character
    through in action entries: only the engine's own tests ask for that, to run Unicode
    through the refiner and the provers below the readers.
    """
    limit, what = (MAX_REFINED_BYTES, "a refined policy") if allow_empty else (
        MAX_POLICY_BYTES, "a policy")
    if len(data) > limit:
        raise InputError(f"{len(data):,} bytes; the limit for {what} is {limit // 2**20} MiB",
                         source, 1, 1)
    root = _parse_tree(data, source)
    try:
        policy = dataclasses.replace(_policy(root, source, allow_empty), raw=data)
        for pattern in (p for s in policy.statements for p in s.patterns) if alphabet else ():
            problem = pattern_problem(pattern.text)
            if problem:
                raise _Problem.at(f"{_quote(pattern.text)} {problem}", pattern.span)
        return policy
    except _Problem as problem:
        raise problem.in_file(source) from None


def _policy(root: _Node, source: str, allow_empty: bool = False) -> Policy:
    if not isinstance(root.value, dict):
        raise _Problem.at("a policy must be a JSON object", root.span)
    statement = None
    for key, value in root.members:
        if key.value == "Version":
            if value.value not in VERSIONS:
                raise _Problem.at(f"Version must be {_quote(VERSIONS[0])} or "
                                  f"{_quote(VERSIONS[1])}", value.span)
        elif key.value == "Id":
            _require_string(value, "Id")
        elif key.value == "Statement":
            statement = value
        else:
            raise _Problem.at(f"unknown policy element {_quote(key.value)}", key.span)
    if statement is None:
        raise _Problem.at("policy has no Statement", root.span)
    statements, entries = [], 0
    most = MAX_REFINED_ENTRIES if allow_empty else MAX_ENTRIES
    for index, node in enumerate(_statements(statement, allow_empty)):
        statements.append(_statement(index, node))
        entries += len(statements[-1].patterns)
        if entries > most:
            span = statements[-1].patterns[most - entries - 1].span
            raise _Problem.at(f"more than {most:,} Action and NotAction entries in "
                              f"{'a refined' if allow_empty else 'one'} policy (IAM's largest "
                              "policy holds at most 2,560)", span)
    return Policy(
        members=tuple((key.value, value.value) for key, value in root.members),
        statements=tuple(statements),
        statement_is_list=isinstance(statement.value, list),
        source=source,
        statement_span=statement.span,
    )


def _statements(node: _Node, allow_empty: bool = False) -> tuple[_Node, ...]:
    if isinstance(node.value, dict):
        return (node,)
    if not isinstance(node.value, list):
        raise _Problem.at("Statement must be an object or a list of objects", node.span)
    if not node.items and not allow_empty:
        raise _Problem.at("Statement is an empty list", node.span)
    for item in node.items:
        if not isinstance(item.value, dict):
            raise _Problem.at("Statement entries must be objects", item.span)
    return node.items


# Elements a statement may hold at most one of.
_PAIRS = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
_PAIR_OF = {name: pair for pair in _PAIRS for name in pair}


def _statement(index: int, node: _Node) -> Statement:
    seen: set[str] = set()
    action_key = action_value = None
    patterns: tuple[_Node, ...] = ()
    for key, value in node.members:
        name = key.value
        pair = _PAIR_OF.get(name, ())
        if seen.intersection(pair):
            raise _Problem.at(f"{pair[0]} and {pair[1]} in one statement", key.span)
        seen.add(name)
        if name in ("Action", "NotAction"):
            action_key, action_value = name, value
            patterns = _actions(name, value)
        elif name in ("Resource", "NotResource"):
            _string_or_strings(name, value)
        elif name in ("Principal", "NotPrincipal"):
            if value.value != "*" and not isinstance(value.value, dict):
                raise _Problem.at(f'{name} must be "*" or an object', value.span)
        elif name == "Condition":
            _check_condition(value)
        elif name == "Effect":
            if value.value not in EFFECTS:
                raise _Problem.at('Effect must be "Allow" or "Deny"', value.span)
        elif name == "Sid":
            _require_string(value, "Sid")
        else:
            raise _Problem.at(f"unknown statement element {_quote(name)}", key.span)
    if "Effect" not in seen:
        raise _Problem.at("statement has no Effect", node.span)
    if action_value is None:
        raise _Problem.at("statement has neither Action nor NotAction", node.span)
    return Statement(
        index=index,
        effect=node.value["Effect"],
        action_key=action_key,
        patterns=tuple(Pattern(item.value, item.span) for item in patterns),
        action_is_list=isinstance(action_value.value, list),
        members=tuple((key.value, value.value) for key, value in node.members),
        sid=node.value.get("Sid"),
        span=node.span,
    )


def _require_string(node: _Node, name: str) -> None:
    if not isinstance(node.value, str):
        raise _Problem.at(f"{name} must be a string", node.span)


def _string_or_strings(name: str, node: _Node) -> tuple[_Node, ...]:
    """The strings of an element written as one string or a non-empty list of strings."""
    if isinstance(node.value, str):
        return (node,)
    if not isinstance(node.value, list):
        raise _Problem.at(f"{name} must be a string or a list of strings", node.span)
    if not node.items:
        raise _Problem.at(f"empty {name} list", node.span)
    for item in node.items:
        if not isinstance(item.value, str):
            raise _Problem.at(f"{name} entries must be strings", item.span)
    return node.items


def _actions(name: str, node: _Node) -> tuple[_Node, ...]:
    """The entries of Action or NotAction: "service:Name" (wildcards allowed), or only * and ?
    (parse_policy then holds them to AWS's alphabet, alphabet.py)."""
    items = _string_or_strings(name, node)
    for item in items:
        text = item.value
        if not text or (":" not in text and text.strip("*?")):
            raise _Problem.at(f"{_quote(text)} is not an action (service:Action)", item.span)
    return items


def _check_condition(node: _Node) -> None:
    if not isinstance(node.value, dict):
        raise _Problem.at("Condition must be an object", node.span)
    for key, value in node.members:
        if not isinstance(value.value, dict):
            raise _Problem.at(f"Condition {_quote(key.value)} must be an object", value.span)
