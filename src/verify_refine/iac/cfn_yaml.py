"""CloudFormation YAML as a cfn_tree: ruamel.yaml's composer gives every node with its tag and its
start and end in the text, which the in-place writer needs (and the round trip keeps comments)."""

from __future__ import annotations

from ..errors import InputError
from ..inputs.jsontext import quote
from .cfn_tree import MAP, SCALAR, SEQ, SHORT_TAGS, TNode

_STANDARD_TAG = "tag:yaml.org,2002:"


def parse(path: str, text: str) -> TNode:
    """The template's tree; a YAML error, an unknown tag or a duplicate key is bad input at its
    line and column."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        root = YAML(typ="rt").compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = (error.problem or error.context or "not valid YAML").rstrip(".")
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise InputError(f"not valid YAML: {message}", path, line, column) from None
    except YAMLError as error:  # an error with no position
        raise InputError(f"not valid YAML: {str(error).rstrip('.')}", path, 1, 1) from None
    if root is None:
        raise InputError("empty template", path, 1, 1)
    return _Builder(path).node(root)


class _Builder:
    """Turns composer nodes into TNodes; an alias (`*name`) is marked as such."""

    def __init__(self, path: str):
        self.path = path
        self.seen: set[int] = set()

    def node(self, yaml_node) -> TNode:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        start, mark = yaml_node.start_mark.index, yaml_node.start_mark
        tag = self.tag(yaml_node)
        flow = bool(getattr(yaml_node, "flow_style", False))
        out = TNode(SCALAR, start, yaml_node.end_mark.index, mark.line + 1, mark.column + 1,
                    tag=tag, flow=flow, alias=id(yaml_node) in self.seen)
        self.seen.add(id(yaml_node))
        if isinstance(yaml_node, MappingNode):
            out.kind = MAP
            out.pairs = [(self.node(k), self.node(v)) for k, v in yaml_node.value]
            self.refuse_duplicates(out)
        elif isinstance(yaml_node, SequenceNode):
            out.kind = SEQ
            out.items = [self.node(item) for item in yaml_node.value]
        else:
            # ruamel.yaml marks where a folded (>) scalar was folded with \a: not its text
            out.value = yaml_node.value.replace("\a", "") if yaml_node.style == ">" \
                else yaml_node.value
            out.style = yaml_node.style
        if out.kind != SCALAR and not flow:
            # A block collection ends where its last value does, not at the next token.
            children = out.items or [v for _, v in out.pairs]
            out.end = children[-1].end if children else out.end
        return out

    def tag(self, yaml_node) -> str | None:
        """The short-form intrinsic of a node, None for YAML's own tags; any other is bad input."""
        tag = yaml_node.tag
        tag = getattr(tag, "value", tag)  # a Tag object in some versions of ruamel.yaml
        if tag is None or str(tag).startswith(_STANDARD_TAG):
            return None
        if tag in SHORT_TAGS:
            return tag
        mark = yaml_node.start_mark
        raise InputError(f"unknown tag {quote(str(tag))} (not a CloudFormation function)",
                         self.path, mark.line + 1, mark.column + 1)

    def refuse_duplicates(self, mapping: TNode) -> None:
        first: dict = {}
        for key, _ in mapping.pairs:
            name = key.value if key.kind == SCALAR else None
            earlier = first.setdefault(name, key) if name is not None else key
            if earlier is not key:
                raise InputError(f"duplicate key {quote(str(name))} (first at line "
                                 f"{earlier.line}, column {earlier.column})", self.path,
                                 key.line, key.column)
