"""CamelCase tokens of action names: the one rule the refiner and the prover share.

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


def token_parent(prefix: str) -> str:
    """The token prefix one token shorter (the empty string above a service prefix)."""
    if not prefix:
        return ""
    return prefix[: len(prefix) - len(tokens(prefix)[-1])]
