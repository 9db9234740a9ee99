"""JSON text with positions: the policy grammar run by Lark (the one module that uses it), and the
file:line:column of every value and every error."""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from ..errors import InputError, escape
from . import json_fast
from .model import JsonValue, Node, Number, Span

MAX_DEPTH = 64

_BOM = "\ufeff"
_OPENERS = ("LBRACE", "LSQB")
_CLOSERS = ("RBRACE", "RSQB")


class SourceProblem(Exception):
    """An error found before the source name is at hand; parse_* turn it into InputError."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    @classmethod
    def at(cls, message: str, span: Span) -> SourceProblem:
        return cls(message, span.line, span.column)

    def in_file(self, source: str) -> InputError:
        return InputError(self.message, source, self.line, self.column)


# --- grammar and Lark parser ---------------------------------------------------------------------

def load_grammar_text() -> str:
    """The text of policy.lark: from the installed package, else from the source tree."""
    packaged = importlib.resources.files("verify_refine") / "grammar" / "policy.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source_tree = Path(__file__).resolve().parents[3] / "grammar" / "policy.lark"
    return source_tree.read_text(encoding="utf-8")


def span_of(first: Token, last: Token) -> Span:
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
                raise SourceProblem(f"unpaired surrogate \\u{match['unit']} in string",
                               token.line, token.column + offset)
            return chr(code)
        return _SIMPLE_ESCAPES[match["char"]]

    return _ESCAPE.sub(replace, body)


class _Builder(Transformer):
    """Inline LALR callbacks: each grammar rule becomes a Node, bottom up, without recursion."""

    def start(self, children):
        return children[0]

    def string(self, children):
        (token,) = children
        return Node(_unescape(token), span_of(token, token))

    def number(self, children):
        (token,) = children
        return Node(Number(str(token)), span_of(token, token))

    def literal(self, children):
        (token,) = children
        value = {"TRUE": True, "FALSE": False, "NULL": None}[token.type]
        return Node(value, span_of(token, token))

    def member(self, children):
        key, value = children
        return (self.string([key]), value)

    def array(self, children):
        items = tuple(children[1:-1])
        return Node([item.value for item in items], span_of(children[0], children[-1]),
                     items=items)

    def object(self, children):
        members = tuple(children[1:-1])
        first_seen: dict[str, Node] = {}
        for key, _ in members:
            earlier = first_seen.setdefault(key.value, key)
            if earlier is not key:
                raise SourceProblem.at(f"duplicate key {quote(key.value)} (first at line "
                                  f"{earlier.span.line}, column {earlier.span.column})", key.span)
        value = {key.value: item.value for key, item in members}
        return Node(value, span_of(children[0], children[-1]), members=members)


@functools.cache
def _parser() -> Lark:
    return Lark(load_grammar_text(), parser="lalr", lexer="basic",
                transformer=_Builder(), maybe_placeholders=False)


# --- text and positions --------------------------------------------------------------------------

def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of text[offset], counting lines as Lark does (by '\\n')."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def decode(data: bytes, source: str) -> str:
    """The UTF-8 text of data without a leading BOM: the text that Span offsets index."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8").removeprefix(_BOM)
        line, column = position(before, len(before))
        raise InputError(f"not UTF-8 text (invalid byte 0x{data[error.start]:02x})",
                         source, line, column) from None
    return text.removeprefix(_BOM)


def quote(text: str, limit: int = 40) -> str:
    """text as a one-line JSON string for a message, shortened when long."""
    if len(text) > limit:
        text = text[:limit] + "..."
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(char if char.isprintable() else escape(char) for char in quoted)


# --- JSON ----------------------------------------------------------------------------------------

def parse_json(data: bytes, source: str) -> JsonValue:
    """Any JSON document as Python values: dict (source order), list, str, bool, None, Number
    (read by the standard library when it reads the text as the grammar does)."""
    text = decode(data, source)
    read, value = json_fast.values(text, MAX_DEPTH)
    return value if read else parse_tree(data, source).value


def load_json(data: bytes, source: str):
    """Any JSON document as plain Python values (dict, list, str, int, float, bool, None), read
    by the standard library for speed: catalogs and certificates are large and machine-written.
    What parse_json rejects is rejected too (duplicate keys, NaN, unpaired surrogates, ...), with
    parse_json's message and position. Integers too long for int() stay Number."""
    text = decode(data, source)
    if _SURROGATE_ESCAPE.search(text):
        parse_tree(data, source)  # the standard library accepts an unpaired surrogate
    try:
        return json.loads(text, object_pairs_hook=json_fast.unique_pairs,
                          parse_constant=json_fast.not_json, parse_int=_int)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        pass
    parse_tree(data, source)  # raises the error with its line and column
    raise InputError("not valid JSON", source, 1, 1)  # both readers reject the same text


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _int(text: str):
    return int(text) if len(text) <= 4000 else Number(text)


def json_position(data: bytes, source: str, path: tuple = (), key: bool = False
                  ) -> tuple[int, int]:
    """Line and column of the value at path (object keys and list indexes) in a JSON document,
    of its key when key is set; where the path leads nowhere, of the last value it reaches."""
    node, key_node = parse_tree(data, source), None
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


def parse_tree(data: bytes, source: str) -> Node:
    text = decode(data, source)
    try:
        if not text.strip(" \t\r\n"):
            raise SourceProblem("empty document", 1, 1)
        return json_fast.tree(text, MAX_DEPTH) or _run_parser(text)
    except SourceProblem as problem:
        raise problem.in_file(source) from None


def _run_parser(text: str) -> Node:
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
                    raise SourceProblem.at(f"nesting deeper than {MAX_DEPTH} levels",
                                      span_of(token, token))
            last = token
        return interactive.feed_eof(last)
    except UnexpectedCharacters as error:
        raise _character_problem(text, error.pos_in_stream) from None
    except UnexpectedToken as error:
        inside = open_brackets[-1] if open_brackets else None
        raise _token_problem(text, error, inside) from None


def _character_problem(text: str, offset: int) -> SourceProblem:
    """A character no token can start with; strings get a closer look."""
    char = text[offset]
    if char == '"':
        return _string_problem(text, offset)
    if char == "'":
        return SourceProblem("single-quoted string (JSON needs double quotes)", *position(text, offset))
    word = re.match(r"[A-Za-z_$][\w$]*", text[offset:offset + 40])
    if word:
        return SourceProblem(f"unexpected {quote(word[0])}", *position(text, offset))
    return SourceProblem(f"unexpected character {_describe(char)}", *position(text, offset))


def _describe(char: str) -> str:
    return quote(char) if char.isprintable() else f"U+{ord(char):04X}"


_STRING_PART = re.compile(r'[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}')


def _string_problem(text: str, start: int) -> SourceProblem:
    """Why the string opening at text[start] is not a JSON string."""
    offset = start + 1
    while (part := _STRING_PART.match(text, offset)) is not None:
        offset = part.end()
    following = text[offset + 1:offset + 2]
    # A string cannot span lines: a line break in one means its closing quote is missing.
    if offset == len(text) or text[offset] in "\r\n" or (text[offset] == "\\" and not following):
        return SourceProblem("unterminated string", *position(text, start))
    if text[offset] != "\\":
        return SourceProblem(f"raw control character U+{ord(text[offset]):04X} in string",
                        *position(text, offset))
    if following == "u":
        return SourceProblem("invalid \\u escape (needs 4 hex digits)", *position(text, offset))
    message = (f"invalid escape \\{following} in string" if following.isprintable()
               else f"invalid escape: backslash before {_describe(following)}")
    return SourceProblem(message, *position(text, offset))


def _token_problem(text: str, error: UnexpectedToken, inside: str | None) -> SourceProblem:
    """A token that cannot come here: say what could, in words. inside is the innermost open
    bracket (LBRACE, LSQB or None), as LALR states after a value are shared by all contexts."""
    token = error.token
    if token.type == "$END":
        return SourceProblem("unexpected end of input", *position(text, len(text)))
    if token.type in _CLOSERS:
        before = len(text[: token.start_pos].rstrip(" \t\r\n")) - 1
        if before >= 0 and text[before] == ",":
            return SourceProblem("trailing comma", *position(text, before))
    return SourceProblem(_expectation(set(error.expected), inside), token.line, token.column)


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
