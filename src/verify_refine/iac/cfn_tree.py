"""A CloudFormation template as one tree with source offsets, whichever of YAML or JSON it was
written in: the resource walker and the in-place writer read only this."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

MAP, SEQ, SCALAR = "map", "seq", "scalar"

# The short-form tags CloudFormation reads, by the name of their long form: the intrinsic
# functions, the condition functions, the rule functions (in Rules) and those of the
# AWS::LanguageExtensions transform.
SHORT_TAGS = {"!Ref": "Ref", "!Condition": "Condition", **{
    f"!{name}": f"Fn::{name}" for name in (
        "Sub", "GetAtt", "If", "Join", "Split", "Select", "FindInMap", "ImportValue",
        "Equals", "Not", "And", "Or", "Base64", "Cidr", "GetAZs", "Contains",
        "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll", "ToJsonString",
        "Length")}}


@dataclass
class TNode:
    """A value of the template: a mapping (`pairs`), a sequence (`items`) or a scalar (`value`),
    with its offsets [start, end) in the text and 1-based line and column of its start. `tag`
    is a short-form intrinsic (`!Sub`), else None. `flow` tells a `[...]`/`{...}` collection
    from a block one (JSON collections are all flow)."""

    kind: str
    start: int
    end: int
    line: int
    column: int
    value: object = None
    tag: str | None = None
    flow: bool = True
    alias: bool = False  # YAML `*name`: the node written elsewhere
    style: str | None = None  # a scalar's quote character, None when plain
    items: list[TNode] = field(default_factory=list)
    pairs: list[tuple[TNode, TNode]] = field(default_factory=list)

    def get(self, key: str) -> TNode | None:
        """The value of KEY in a mapping (None when absent or not a mapping)."""
        if self.kind != MAP:
            return None
        return next((value for name, value in self.pairs if name.value == key), None)

    def key_node(self, key: str) -> TNode | None:
        return next((name for name, _ in self.pairs if name.value == key), None)


def intrinsic(node: TNode) -> str | None:
    """The name of the intrinsic function NODE is (`!Sub`, `Fn::Sub`, `Ref`), else None: a
    short-form tag, or a mapping of one key that is `Ref`, `Condition` or `Fn::...`."""
    if node.tag:
        return node.tag
    if node.kind == MAP and len(node.pairs) == 1:
        name = node.pairs[0][0].value
        if isinstance(name, str) and (name in ("Ref", "Condition") or name.startswith("Fn::")):
            return name
    return None


def find_intrinsic(node: TNode) -> TNode | None:
    """The first intrinsic function at or under NODE, in source order."""
    if intrinsic(node):
        return node
    children = node.items if node.kind == SEQ else [v for _, v in node.pairs]
    return next(filter(None, (find_intrinsic(child) for child in children)), None)


def plain(node: TNode):
    """NODE as a JSON value, every intrinsic function in it as its long form (a mapping)."""
    if node.tag:
        inner = dataclasses.replace(node, tag=None)
        return {SHORT_TAGS[node.tag]: plain(inner)}
    if node.kind == MAP:
        return {key.value: plain(value) for key, value in node.pairs}
    if node.kind == SEQ:
        return [plain(item) for item in node.items]
    return node.value


def opaque(node: TNode):
    """NODE as a policy value: an intrinsic function becomes one opaque string, its long form
    as compact JSON (`{"Fn::GetAtt":["B","Arn"]}`), which the policy reader takes as written;
    everything else stays as it is."""
    if intrinsic(node):
        return json.dumps(plain(node), separators=(",", ":"), ensure_ascii=False)
    if node.kind == MAP:
        return {key.value: opaque(value) for key, value in node.pairs}
    if node.kind == SEQ:
        return [opaque(item) for item in node.items]
    return node.value
