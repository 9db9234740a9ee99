"""The token trie of catalog action names (tokens as spec/tokens.py defines them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spec.glob import fold
from ..spec.tokens import token_prefixes


@dataclass
class Node:
    """A token prefix of some catalog actions; `action` is set when the prefix is itself one."""

    prefix: str  # canonical case
    children: dict[str, "Node"] = field(default_factory=dict)  # keyed by folded child prefix
    action: str | None = None

    def ordered_children(self) -> list["Node"]:
        return [self.children[key] for key in sorted(self.children)]


def build(actions: list[str]) -> Node:
    """The token trie of canonical action names; the root is the empty prefix."""
    root = Node("")
    for action in actions:
        node = root
        for prefix in token_prefixes(action):
            key = fold(prefix)
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = Node(prefix)
            node = child
        node.action = action
    return root
