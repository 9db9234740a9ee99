"""Terraform's HCL read by tree-sitter's HCL grammar: the syntax tree with exact str offsets and
file:line:column places, syntax errors as one-line input errors, and literal values."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

from .. import deps
from ..errors import InputError
from ..inputs.jsontext import quote
from .model import Place, Span


def require_hcl() -> None:
    """Usage error, with a hint that works on a fresh machine, when tree-sitter is missing."""
    deps.require_all(("tree_sitter", "tree_sitter_hcl"), "reading Terraform")


@functools.cache
def _parser():
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


@dataclass
class HclFile:
    """One parsed .tf file: its text, its syntax tree, and offset conversions (tree-sitter
    counts bytes, the contract counts characters)."""

    path: str
    text: str
    root: object
    _data: bytes = b""
    _line_starts: list[int] = field(default_factory=list)
    _char_of_byte: list[int] | None = None

    @classmethod
    def of_text(cls, path: str, text: str) -> HclFile:
        """Places in a text that is not HCL (a plan's JSON): no tree, offsets are str's."""
        return cls(path, text, None, b"", _line_starts(text), None)

    def offset(self, byte: int) -> int:
        """The str offset of a byte offset of the UTF-8 text."""
        return byte if self._char_of_byte is None else self._char_of_byte[byte]

    def start(self, node) -> int:
        return self.offset(node.start_byte)

    def end(self, node) -> int:
        return self.offset(node.end_byte)

    def place(self, offset: int) -> Place:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return Place(self.path, line + 1, offset - self._line_starts[line] + 1)

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.place(start))

    def node_span(self, node) -> Span:
        return self.span(self.start(node), self.end(node))

    def source(self, node) -> str:
        return self.text[self.start(node):self.end(node)]


def parse_hcl(path: str, text: str) -> HclFile:
    """The syntax tree of a .tf file; the first syntax error is bad input at its place."""
    require_hcl()
    data = text.encode("utf-8")
    tree = _parser().parse(data)
    hcl = HclFile(path, text, tree.root_node, data, _line_starts(text),
                  None if len(data) == len(text) else _char_offsets(text))
    problem = _first_error(tree.root_node)
    if problem is not None:
        where = hcl.place(hcl.start(problem))
        if problem.is_missing:
            message = f"hcl syntax error: missing {quote(problem.type)}"
        else:
            message = f"hcl syntax error at {quote(hcl.source(problem).split(chr(10))[0], 30)}"
        raise InputError(message, path, where.line, where.column)
    return hcl


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in re.finditer("\n", text)]


def _char_offsets(text: str) -> list[int]:
    """For each byte offset of text's UTF-8 form, the str offset of its character."""
    offsets: list[int] = []
    for index, char in enumerate(text):
        offsets.extend([index] * len(char.encode("utf-8")))
    offsets.append(len(text))
    return offsets


def _first_error(root):
    """The first ERROR or MISSING node in source order, or None."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root


# --- blocks and attributes -----------------------------------------------------------------------

def body_of(block):
    """The body node of a block (None for an empty block)."""
    return next((c for c in block.children if c.type == "body"), None)


def blocks(body, name: str | None = None) -> list:
    """The blocks directly in body (named name, when given)."""
    if body is None:
        return []
    return [c for c in body.children if c.type == "block"
            and (name is None or block_type(c) == name)]


def block_type(block) -> str:
    return block.children[0].text.decode("utf-8")


def block_labels(hcl: HclFile, block) -> list[str]:
    """A block's labels: `resource "aws_iam_policy" "app"` -> ["aws_iam_policy", "app"]."""
    labels = []
    for child in block.children[1:]:
        if child.type == "string_lit":
            labels.append(string_value(hcl, child))
        elif child.type == "identifier":
            labels.append(hcl.source(child))
        elif child.type == "block_start":
            break
    return labels


def attributes(body) -> dict:
    """name -> the expression node of each attribute directly in body."""
    if body is None:
        return {}
    found = {}
    for child in body.children:
        if child.type == "attribute":
            found[child.children[0].text.decode("utf-8")] = child.children[-1]
    return found


def inner(node):
    """The node an `expression` wrapper (or parentheses around one) stands for."""
    while node.type in ("expression", "literal_value", "collection_value", "template_expr"):
        named = [c for c in node.children if c.is_named]
        if len(named) != 1:
            return node
        node = named[0]
    return node


def traversal(node) -> list[str] | None:
    """`data.aws_iam_policy_document.x.json` -> its names; None for any other expression.
    An index (`x[0]`, `x[count.index]`) is passed over: every instance of a block with
    `count` or `for_each` is written by the same block."""
    node = node if node.type == "expression" else None
    if node is None or not node.children or node.children[0].type != "variable_expr":
        return None
    names = [node.children[0].text.decode("utf-8")]
    for part in node.children[1:]:
        if part.type == "get_attr":
            names.append(part.children[-1].text.decode("utf-8"))
        elif part.type != "index":
            return None
    return names


# --- literal values ------------------------------------------------------------------------------

_HCL_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def decode_template(raw: str, base: int, quoted: bool) -> tuple[str, list[int]]:
    """The text a template literal stands for (escapes decoded when quoted; `$${` and `%%{`
    always), and for each of its characters (and its end) the str offset in the file."""
    pattern = _HCL_ESCAPE if quoted else re.compile(r"\$\$\{|%%\{")
    text: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in pattern.finditer(raw):
        for index in range(position, match.start()):
            text.append(raw[index])
            offsets.append(base + index)
        token = match[0]
        if token in ("$${", "%%{"):
            decoded = token[1:]
        elif token[1] in "uU":
            decoded = chr(int(token[2:], 16))
        else:
            decoded = _SIMPLE.get(token[1], token)
        for char in decoded:
            text.append(char)
            offsets.append(base + match.start())
        position = match.end()
    for index in range(position, len(raw)):
        text.append(raw[index])
        offsets.append(base + index)
    offsets.append(base + len(raw))
    return "".join(text), offsets


def string_value(hcl: HclFile, node) -> str | None:
    """The value of a string literal without interpolation (`"a"`), else None."""
    node = inner(node)
    if node.type not in ("string_lit", "quoted_template"):
        return None
    parts = [c for c in node.children if c.type not in ("quoted_template_start",
                                                         "quoted_template_end")]
    if any(c.type != "template_literal" for c in parts):
        return None
    if not parts:
        return ""
    start, end = hcl.start(parts[0]), hcl.end(parts[-1])
    return decode_template(hcl.text[start:end], start, quoted=True)[0]


def opaque(hcl: HclFile, node) -> str:
    """An expression kept as the text Terraform would interpolate: `aws_s3_bucket.b.arn` ->
    "${aws_s3_bucket.b.arn}"; a quoted template keeps its own text (`"arn:${var.p}"`)."""
    core = inner(node)
    if core.type == "quoted_template":
        start, end = hcl.start(core) + 1, hcl.end(core) - 1
        return decode_template(hcl.text[start:end], start, quoted=True)[0]
    return "${" + hcl.source(node).strip() + "}"


def references(hcl: HclFile, first: str, second: str) -> list[tuple[list[str], object]]:
    """Every traversal in the file that starts `first.second` (such as
    `data.aws_iam_policy_document`), with its expression node, in source order."""
    found = []
    stack = [hcl.root]
    while stack:
        node = stack.pop()
        if node.type == "expression" and node.children and \
                node.children[0].type == "variable_expr" and \
                node.children[0].text == first.encode():
            names = traversal(node)
            if names and names[:2] == [first, second]:
                found.append((names, node))
        stack.extend(reversed(node.named_children))
    return sorted(found, key=lambda pair: pair[1].start_byte)
