"""CamelCase tokens of action names and the token trie of their prefixes.

The token rule: the service prefix with its colon (`s3:`) is one token. In the action name a
new token starts
  - at an upper-case letter that follows a lower-case letter or a digit (`GetObject` -> Get|Object);
  - at an upper-case letter that follows an upper-case letter and is followed by a lower-case
    letter, so an acronym ends before the word it precedes (`DBInstances` -> DB|Instances);
  - at any character that is neither a letter nor a digit (`Service-Events` -> Service|-Events).
Digits stay with the token before them (`EC2Instances` -> EC2|Instances). A name that starts in
lower case starts with a lower-case token (`listCommands` -> list|Commands).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .glob import fold


def name_tokens(name: str) -> list[str]:
    """Split an action name (without its service prefix) into CamelCase tokens."""
    tokens: list[str] = []
    start = 0
    for i in range(1, len(name)):
        prev, ch = name[i - 1], name[i]
        nxt = name[i + 1] if i + 1 < len(name) else ""
        if not ch.isalnum():
            boundary = True
        elif ch.isupper():
            boundary = (prev.islower() or prev.isdigit()
                        or (prev.isupper() and nxt.islower()))
        else:
            boundary = False
        if boundary:
            tokens.append(name[start:i])
            start = i
    if name:
        tokens.append(name[start:])
    return tokens


def tokens(action: str) -> list[str]:
    """Tokens of a full action name: the service prefix with its colon, then the name's tokens."""
    service, _, name = action.partition(":")
    return [service + ":"] + name_tokens(name)


def token_prefixes(action: str) -> list[str]:
    """Every token prefix of an action name, shortest first, ending with the name itself."""
    out, acc = [], ""
    for tok in tokens(action):
        acc += tok
        out.append(acc)
    return out


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
