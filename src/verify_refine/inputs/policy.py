"""IAM policy documents: JSON with positions checked against IAM's policy grammar and AWS's
alphabet of action names, as a model.Policy."""

from __future__ import annotations

import dataclasses

from ..errors import InputError
from ..spec.alphabet import pattern_problem
from .jsontext import Node, SourceProblem, parse_tree, quote
from .model import Pattern, Policy, Statement

# Policies given as input: bytes, and Action and NotAction entries. IAM's largest policy (a
# role's inline policies, 10,240 characters without whitespace) holds at most 2,560 entries
# (`"*",` is four characters). A refined policy (this tool's output, read back by check, gate
# and verify) may hold more: the refined forms of the 1,594 AWS managed policies hold up to
# 12,488 entries and 509 KB, and a refinement can hold catalog actions besides its input's
# own entries (docs/INPUTS.md).
MAX_POLICY_BYTES = 1024 * 1024
MAX_ENTRIES = 5_000  # twice the most IAM accepts
MAX_REFINED_BYTES = 4 * 1024 * 1024
MAX_REFINED_ENTRIES = 50_000
VERSIONS = ("2012-10-17", "2008-10-17")
EFFECTS = ("Allow", "Deny")


def parse_policy(data: bytes, source: str, allow_empty: bool = False,
                 alphabet: bool = True) -> Policy:
    """A policy document: JSON with positions, checked against IAM's grammar, as a model.Policy.

    `allow_empty` marks a refined policy: it admits `"Statement": []`, which a refined policy
    holds when nothing is left to allow (the policy is to be detached; IAM itself rejects it
    as input), and a refined policy's larger limits. `alphabet=False` lets any character
    through in action entries: only the engine's own tests ask for that, to run Unicode
    through the refiner and the provers below the readers.
    """
    limit, what = (MAX_REFINED_BYTES, "a refined policy") if allow_empty else (
        MAX_POLICY_BYTES, "a policy")
    if len(data) > limit:
        raise InputError(f"{len(data):,} bytes; the limit for {what} is {limit // 2**20} MiB",
                         source, 1, 1)
    root = parse_tree(data, source)
    try:
        policy = dataclasses.replace(_policy(root, source, allow_empty), raw=data)
        for pattern in (p for s in policy.statements for p in s.patterns) if alphabet else ():
            problem = pattern_problem(pattern.text)
            if problem:
                raise SourceProblem.at(f"{quote(pattern.text)} {problem}", pattern.span)
        return policy
    except SourceProblem as problem:
        raise problem.in_file(source) from None


def _policy(root: Node, source: str, allow_empty: bool = False) -> Policy:
    if not isinstance(root.value, dict):
        raise SourceProblem.at("a policy must be a JSON object", root.span)
    statement = None
    for key, value in root.members:
        if key.value == "Version":
            if value.value not in VERSIONS:
                raise SourceProblem.at(f"Version must be {quote(VERSIONS[0])} or "
                                  f"{quote(VERSIONS[1])}", value.span)
        elif key.value == "Id":
            _require_string(value, "Id")
        elif key.value == "Statement":
            statement = value
        else:
            raise SourceProblem.at(f"unknown policy element {quote(key.value)}", key.span)
    if statement is None:
        raise SourceProblem.at("policy has no Statement", root.span)
    statements, entries = [], 0
    most = MAX_REFINED_ENTRIES if allow_empty else MAX_ENTRIES
    for index, node in enumerate(_statements(statement, allow_empty)):
        statements.append(_statement(index, node))
        entries += len(statements[-1].patterns)
        if entries > most:
            span = statements[-1].patterns[most - entries - 1].span
            raise SourceProblem.at(f"more than {most:,} Action and NotAction entries in "
                              f"{'a refined' if allow_empty else 'one'} policy (IAM's largest "
                              "policy holds at most 2,560)", span)
    return Policy(
        members=tuple((key.value, value.value) for key, value in root.members),
        statements=tuple(statements),
        statement_is_list=isinstance(statement.value, list),
        source=source,
        statement_span=statement.span,
    )


def _statements(node: Node, allow_empty: bool = False) -> tuple[Node, ...]:
    if isinstance(node.value, dict):
        return (node,)
    if not isinstance(node.value, list):
        raise SourceProblem.at("Statement must be an object or a list of objects", node.span)
    if not node.items and not allow_empty:
        raise SourceProblem.at("Statement is an empty list", node.span)
    for item in node.items:
        if not isinstance(item.value, dict):
            raise SourceProblem.at("Statement entries must be objects", item.span)
    return node.items


# Elements a statement may hold at most one of.
_PAIRS = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
_PAIR_OF = {name: pair for pair in _PAIRS for name in pair}


def _statement(index: int, node: Node) -> Statement:
    seen: set[str] = set()
    action_key = action_value = None
    patterns: tuple[Node, ...] = ()
    for key, value in node.members:
        name = key.value
        pair = _PAIR_OF.get(name, ())
        if seen.intersection(pair):
            raise SourceProblem.at(f"{pair[0]} and {pair[1]} in one statement", key.span)
        seen.add(name)
        if name in ("Action", "NotAction"):
            action_key, action_value = name, value
            patterns = _actions(name, value)
        elif name in ("Resource", "NotResource"):
            _string_or_strings(name, value)
        elif name in ("Principal", "NotPrincipal"):
            if value.value != "*" and not isinstance(value.value, dict):
                raise SourceProblem.at(f'{name} must be "*" or an object', value.span)
        elif name == "Condition":
            _check_condition(value)
        elif name == "Effect":
            if value.value not in EFFECTS:
                raise SourceProblem.at('Effect must be "Allow" or "Deny"', value.span)
        elif name == "Sid":
            _require_string(value, "Sid")
        else:
            raise SourceProblem.at(f"unknown statement element {quote(name)}", key.span)
    if "Effect" not in seen:
        raise SourceProblem.at("statement has no Effect", node.span)
    if action_value is None:
        raise SourceProblem.at("statement has neither Action nor NotAction", node.span)
    return Statement(
        index=index,
        effect=node.value["Effect"],
        action_key=action_key,
        patterns=tuple(Pattern(item.value, item.span) for item in patterns),
        action_is_list=isinstance(action_value.value, list),
        members=tuple((key.value, value.value) for key, value in node.members),
        sid=node.value.get("Sid"),
        span=node.span,
    )


def _require_string(node: Node, name: str) -> None:
    if not isinstance(node.value, str):
        raise SourceProblem.at(f"{name} must be a string", node.span)


def _string_or_strings(name: str, node: Node) -> tuple[Node, ...]:
    """The strings of an element written as one string or a non-empty list of strings."""
    if isinstance(node.value, str):
        return (node,)
    if not isinstance(node.value, list):
        raise SourceProblem.at(f"{name} must be a string or a list of strings", node.span)
    if not node.items:
        raise SourceProblem.at(f"empty {name} list", node.span)
    for item in node.items:
        if not isinstance(item.value, str):
            raise SourceProblem.at(f"{name} entries must be strings", item.span)
    return node.items


def _actions(name: str, node: Node) -> tuple[Node, ...]:
    """The entries of Action or NotAction: "service:Name" (wildcards allowed), or only * and ?
    (parse_policy then holds them to AWS's alphabet, alphabet.py)."""
    items = _string_or_strings(name, node)
    for item in items:
        text = item.value
        if not text or (":" not in text and text.strip("*?")):
            raise SourceProblem.at(f"{quote(text)} is not an action (service:Action)", item.span)
    return items


def _check_condition(node: Node) -> None:
    if not isinstance(node.value, dict):
        raise SourceProblem.at("Condition must be an object", node.span)
    for key, value in node.members:
        if not isinstance(value.value, dict):
            raise SourceProblem.at(f"Condition {quote(key.value)} must be an object", value.span)
