"""A policy as a tree of JSON values with str offsets in the .tf file, built from an HCL
expression (the argument of jsonencode) or from JSON text inside an HCL string or heredoc."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..inputs import jsontext
from ..inputs.model import Number
from .hcl_tree import HclFile, decode_template, inner, opaque, string_value


@dataclass
class Tree:
    """A JSON value and where it is in the file: [start, end) str offsets. `literal` is False
    for a Terraform expression kept as an opaque string. Objects keep (key, value) pairs."""

    value: object
    start: int
    end: int
    literal: bool = True
    members: list[tuple[str, Tree]] = field(default_factory=list)
    items: list[Tree] = field(default_factory=list)

    def member(self, key: str) -> Tree | None:
        return next((v for k, v in self.members if k == key), None)


class NotReadable(Exception):
    """A policy value this reader cannot turn into JSON; the policy is refused at `offset`."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message = message
        self.offset = offset


# --- HCL expressions (jsonencode) ----------------------------------------------------------------

def from_hcl(hcl: HclFile, node) -> Tree:
    """The JSON value jsonencode makes of an HCL expression; expressions become opaque."""
    core = inner(node)
    start, end = hcl.start(node), hcl.end(node)
    if core.type == "object":
        return _object(hcl, core, start, end)
    if core.type == "tuple":
        items = [from_hcl(hcl, c) for c in core.children if c.type == "expression"]
        return Tree([i.value for i in items], start, end, items=items)
    if core.type == "numeric_lit":
        return Tree(Number(hcl.source(core)), start, end)
    if core.type == "bool_lit":
        return Tree(hcl.source(core) == "true", start, end)
    if core.type == "null_lit":
        return Tree(None, start, end)
    text = string_value(hcl, core)
    if text is not None:
        return Tree(text, start, end)
    return Tree(opaque(hcl, node), start, end, literal=False)


def _object(hcl: HclFile, node, start: int, end: int) -> Tree:
    members: list[tuple[str, Tree]] = []
    for element in (c for c in node.children if c.type == "object_elem"):
        key_node, value_node = element.children[0], element.children[-1]
        key = string_value(hcl, key_node)
        if key is None:
            bare = inner(key_node)
            if bare.type != "variable_expr":
                raise NotReadable("an object key that is an expression", hcl.start(key_node))
            key = hcl.source(bare)
        if any(k == key for k, _ in members):
            raise NotReadable(f"duplicate key {jsontext.quote(key)}", hcl.start(key_node))
        members.append((key, from_hcl(hcl, value_node)))
    return Tree({k: v.value for k, v in members}, start, end, members=members)


# --- JSON text inside a string or heredoc --------------------------------------------------------

def from_json_text(path: str, text: str, offsets: list[int]) -> Tree:
    """The JSON document in text (decoded from the file), offsets mapping its characters to
    the file's; text that is not JSON is NotReadable at the place of the problem."""
    try:
        node = jsontext.parse_tree(text.encode("utf-8"), path)
    except InputError as error:
        offset = _offset_of(text, error.line or 1, error.column or 1)
        raise NotReadable(f"the policy text is not JSON: {error.message}",
                          offsets[min(offset, len(offsets) - 1)]) from None
    return _from_node(node, offsets)


def _offset_of(text: str, line: int, column: int) -> int:
    position = 0
    for _ in range(line - 1):
        position = text.index("\n", position) + 1
    return position + column - 1


def _from_node(node, offsets: list[int]) -> Tree:
    start, end = offsets[node.span.start], offsets[node.span.end]
    if node.members:
        members = [(k.value, _from_node(v, offsets)) for k, v in node.members]
        return Tree(node.value, start, end, members=members)
    if node.items:
        return Tree(node.value, start, end, items=[_from_node(i, offsets) for i in node.items])
    return Tree(node.value, start, end)


def heredoc_text(hcl: HclFile, node) -> tuple[str, list[int]] | None:
    """The text of a heredoc (`<<EOF` / `<<-EOF`) with offsets, or None for another node.
    `${...}` is kept as written (a JSON string holding it is an opaque value)."""
    core = inner(node)
    if core.type != "heredoc_template":
        return None
    identifiers = [c for c in core.children if c.type == "heredoc_identifier"]
    start = hcl.text.index("\n", hcl.end(identifiers[0])) + 1
    end = hcl.text.rindex("\n", 0, hcl.start(identifiers[-1])) + 1
    return decode_template(hcl.text[start:end], start, quoted=False)


def quoted_text(hcl: HclFile, node) -> tuple[str, list[int]] | None:
    """The text of a quoted string (escapes decoded) with offsets, or None for another node."""
    core = inner(node)
    if core.type not in ("string_lit", "quoted_template"):
        return None
    start, end = hcl.start(core) + 1, hcl.end(core) - 1
    return decode_template(hcl.text[start:end], start, quoted=True)
