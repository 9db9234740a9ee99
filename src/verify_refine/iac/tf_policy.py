"""A policy tree (jsonencode, heredoc or JSON string) checked and turned into the contract's
statements: the span of each statement and of its Action or NotAction list, and the list's
style (the text around and between its items) for the writer."""

from __future__ import annotations

from ..inputs.jsontext import quote
from .hcl_tree import HclFile
from .model import SourceStatement
from .tf_values import NotReadable, Tree

ACTION_KEYS = ("Action", "NotAction")


def statements_of(hcl: HclFile, root: Tree) -> tuple[list[SourceStatement], dict]:
    """The statements of a policy tree with their spans, and the writer's style; a policy
    whose actions are not plain strings is NotReadable at the first such value."""
    if not root.literal:
        raise NotReadable(f"the policy is built from an expression ({quote(root.value)})", root.start)
    if not isinstance(root.value, dict) or not root.members:
        raise NotReadable("the policy is not a JSON object", root.start)
    container = root.member("Statement")
    if container is None:
        raise NotReadable("the policy has no Statement", root.start)
    if not container.literal:
        raise NotReadable(f"Statement built from an expression ({quote(container.value)}): its "
                          "statements are not known before terraform runs", container.start)
    in_list = isinstance(container.value, list)
    trees = container.items if in_list else [container]
    found, styles = [], {}
    for index, statement in enumerate(trees):
        key, value = _action_value(statement)
        found.append(SourceStatement(index, hcl.span(statement.start, statement.end), key,
                                     hcl.span(value.start, value.end)))
        styles[index] = list_style(hcl.text, value)
    return found, {"statements": styles, "statement_list": in_list,
                   "container": (container.start, container.end)}


def _action_value(statement: Tree) -> tuple[str, Tree]:
    """The key ("Action" or "NotAction") and value of a statement, checked to be literal."""
    if not statement.literal:
        raise NotReadable(f"a statement built from an expression ({quote(statement.value)})",
                          statement.start)
    if not isinstance(statement.value, dict):
        raise NotReadable("a statement that is not an object", statement.start)
    keys = [k for k in ACTION_KEYS if statement.member(k) is not None]
    if len(keys) != 1:
        problem = "both Action and NotAction" if keys else "no Action or NotAction"
        raise NotReadable(f"a statement with {problem}", statement.start)
    value = statement.member(keys[0])
    for item in value.items if isinstance(value.value, list) else [value]:
        check_action(item, keys[0])
    return keys[0], value


def check_action(item: Tree, key: str) -> None:
    """NotReadable unless item is a plain action string (no expression, no interpolation)."""
    if not item.literal:
        raise NotReadable(f"an expression in {key} ({quote(item.value)}): its actions are not known "
                          "before terraform runs", item.start)
    if not isinstance(item.value, str):
        raise NotReadable(f"{key} holds a value that is not a string", item.start)
    if "${" in item.value or "%{" in item.value:
        raise NotReadable(f"an interpolation in {key} ({quote(item.value)}): its actions are not "
                          "known before terraform runs", item.start)


def list_style(text: str, value: Tree) -> dict:
    """How a list is written, as the text between its parts: after `[`, between two items,
    and before `]` (so a trailing comma and the indentation come back as they were)."""
    if not isinstance(value.value, list):
        return {"scalar": True, "actions": [value.value]}
    items = value.items
    if not items:
        return {"scalar": False, "leading": "", "separator": ", ", "trailing": "",
                "actions": []}
    leading = text[value.start + 1:items[0].start]
    trailing = text[items[-1].end:value.end - 1]
    between = [text[a.end:b.start] for a, b in zip(items, items[1:])]
    separator = max(between, key=between.count) if between else ""
    if not separator or any(mark in separator for mark in ("#", "//", "/*")):
        separator = "," + (leading[leading.rfind("\n"):] if "\n" in leading else " ")
    return {"scalar": False, "leading": leading, "separator": separator, "trailing": trailing,
            "actions": [item.value for item in items]}
