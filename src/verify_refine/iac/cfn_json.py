"""CloudFormation JSON (hand-written, or CDK's cdk.out/*.template.json) as a cfn_tree, read by
the project's JSON reader (inputs.jsontext), which gives every value its offsets."""

from __future__ import annotations

from ..inputs.jsontext import Node, parse_tree
from ..inputs.model import Number
from .cfn_tree import MAP, SCALAR, SEQ, TNode

_BOM = "\ufeff"


def parse(path: str, text: str) -> TNode:
    """The template's tree; a JSON error or a duplicate key is bad input at its line and column
    (jsontext's messages). Offsets index TEXT, a leading byte order mark included."""
    shift = 1 if text.startswith(_BOM) else 0
    return _convert(parse_tree(text.encode("utf-8"), path), shift)


def _convert(node: Node, shift: int) -> TNode:
    span = node.span
    out = TNode(SCALAR, span.start + shift, span.end + shift, span.line, span.column)
    if node.members or isinstance(node.value, dict):
        out.kind = MAP
        out.pairs = [(_convert(k, shift), _convert(v, shift)) for k, v in node.members]
    elif node.items or isinstance(node.value, list):
        out.kind = SEQ
        out.items = [_convert(item, shift) for item in node.items]
    else:
        value = node.value
        out.value = value.text if isinstance(value, Number) else value
        out.style = '"' if isinstance(value, str) else None
    return out
