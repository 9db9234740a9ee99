"""The in-place writer for CloudFormation: splices new action lists (and removes emptied
statements) into the template's text, in the template's own style, leaving every other byte."""

from __future__ import annotations

import json
import re

from ..errors import InputError
from .cfn_tree import SCALAR, SEQ, TNode
from .model import Edit, FoundPolicy, Source

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9:*?_.\-]*")


def rewrite(source: Source, policy: FoundPolicy, edit: Edit, tree: TNode) -> str:
    """SOURCE's text with EDIT applied to POLICY; TREE is the text's cfn_tree (for the
    action lists' items and their quoting)."""
    text, yaml = source.text, policy.form.endswith("yaml")
    if policy.style.get("read_only"):
        raise InputError(f"{policy.address}: not written back: "
                         f"{policy.style['read_only']}; refine its JSON as a policy file",
                         policy.place.path, policy.place.line, policy.place.column)
    cuts: list[tuple[int, int, str]] = []
    removed = sorted(i for i, new in edit.items() if new is None)
    if len(removed) == len(policy.statements):
        raise InputError("every statement would be removed: the policy is to be detached, "
                         "which is left to the user", policy.place.path, policy.place.line,
                         policy.place.column)
    for index, new in sorted(edit.items()):
        if new is None:
            continue
        stmt = policy.statements[index]
        node, parent = _node_at(tree, stmt.value.start)
        cuts.append(_action_cut(text, node, new, yaml, parent.flow))
    cuts += _removals(text, policy, removed)
    out = text
    for start, end, new_text in sorted(cuts, reverse=True):
        out = out[:start] + new_text + out[end:]
    return out


def _node_at(tree: TNode, start: int) -> tuple[TNode, TNode]:
    """The value of a mapping of TREE that starts at START (an action list the reader found
    there), and that mapping."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for _, value in node.pairs:
            if value.start == start:
                return value, node
        stack.extend(node.items)
        stack.extend(value for _, value in node.pairs)
    raise ValueError(f"no node at offset {start}")


def _action_cut(text: str, node: TNode, new: list[str], yaml: bool, in_flow: bool
                ) -> tuple[int, int, str]:
    """The splice that writes NEW where NODE (the Action or NotAction value of a mapping,
    IN_FLOW when that mapping is written `{...}`) stands."""
    items = node.items if node.kind == SEQ else [node]
    written = {item.value: text[item.start:item.end] for item in items}
    style = items[0].style
    entries = [written.get(t) or _quoted(t, style, yaml) for t in new]
    if node.kind == SCALAR:
        if len(entries) == 1:
            return node.start, node.end, entries[0]
        if not yaml or in_flow:
            return node.start, node.end, "[" + ", ".join(entries) + "]"
        key_column = _key_column(text, node.start)
        colon = text.rindex(":", 0, node.start) + 1
        pad = _newline(text) + " " * (key_column + 2)
        return colon, node.end, "".join(pad + "- " + entry for entry in entries)
    if yaml and not node.flow:
        pad = _newline(text) + " " * (node.start - _line_start(text, node.start))
        return node.start, node.end, pad.join("- " + entry for entry in entries)
    # A flow list ([...], JSON or YAML): the source's own spacing after `[`, between entries
    # and before `]`.
    opening = text[node.start + 1:items[0].start]
    closing = text[items[-1].end:node.end - 1]
    between = text[items[0].end:items[1].start] if len(items) > 1 else \
        ("," + opening if "\n" in opening else ", ")
    return node.start, node.end, "[" + opening + between.join(entries) + closing + "]"


def _quoted(action: str, style: str | None, yaml: bool) -> str:
    """An action as a string of the template, quoted as the list's first entry is."""
    if not yaml or style == '"':
        return json.dumps(action, ensure_ascii=False)
    if style is None and _PLAIN_SAFE.fullmatch(action):
        return action
    return "'" + action.replace("'", "''") + "'"


def _newline(text: str) -> str:
    """The template's line break: CRLF when its lines end so, else LF."""
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _key_column(text: str, offset: int) -> int:
    """The column (0-based) of the key whose value starts at OFFSET, on the same line: past
    the indentation and any `- ` of a sequence item."""
    start = _line_start(text, offset)
    prefix = text[start:offset]
    column = len(prefix) - len(prefix.lstrip(" "))
    while prefix[column:column + 2] == "- ":
        column += 2
        column += len(prefix[column:]) - len(prefix[column:].lstrip(" "))
    return column


def _removals(text: str, policy: FoundPolicy, removed: list[int]) -> list[tuple[int, int, str]]:
    """The splices that remove the statements REMOVED with their surrounding syntax: a YAML
    block item's lines, or a flow item with the comma that joins it to a neighbour."""
    spans = [s.span for s in policy.statements]
    out = []
    trailing = []
    for index in reversed(removed):
        if index == len(spans) - 1 - len(trailing):
            trailing.append(index)
    for index in removed:
        span = spans[index]
        dash = _block_dash(text, span.start)
        if dash is not None:
            end = text.find("\n", span.end - 1)
            out.append((dash, len(text) if end < 0 else end + 1, ""))
        elif index not in trailing:
            out.append((span.start, spans[index + 1].start, ""))
    flow_trailing = [i for i in trailing if _block_dash(text, spans[i].start) is None]
    if flow_trailing:
        first = min(flow_trailing)
        out.append((spans[first - 1].end, spans[max(flow_trailing)].end, ""))
    return out


def _block_dash(text: str, start: int) -> int | None:
    """Where the line of the YAML block item starting at START begins, when only spaces and
    the item's `- ` stand before it on its line; None for a flow item."""
    line = _line_start(text, start)
    prefix = text[line:start]
    stripped = prefix.rstrip(" ")
    if stripped.endswith("-") and not stripped[:-1].strip(" "):
        return line
    return None
