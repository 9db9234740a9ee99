"""A `data "aws_iam_policy_document"` block as the IAM JSON the AWS provider renders from it
(statement blocks; actions -> Action, not_actions -> NotAction, resources -> Resource, ...,
principals and condition blocks merged as the provider merges them), with the spans of each
statement block and of its actions list. Lists keep the order and the form they are written
in (the provider sorts a set and writes one item alone, which changes nothing IAM allows), so
that the policy read back after an in-place edit is the very policy that was proved."""

from __future__ import annotations

from ..inputs.jsontext import quote
from .hcl_tree import (
    HclFile,
    attributes,
    block_labels,
    block_type,
    blocks,
    body_of,
    inner,
    opaque,
    string_value,
)
from .model import SourceStatement
from .tf_policy import check_action, list_style
from .tf_values import NotReadable, Tree, from_hcl

# Arguments that merge other documents into this one: their statements are not in the block.
MERGING = ("source_policy_documents", "override_policy_documents", "source_json",
           "override_json")
LISTS = (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
         ("not_resources", "NotResource"))


def read_document(hcl: HclFile, block) -> tuple[dict, list[SourceStatement], dict]:
    """The policy a policy-document block renders, its statements and the writer's style;
    NotReadable when it merges other documents, is built by a dynamic block, or has an
    expression where its actions are."""
    body = body_of(block)
    arguments = attributes(body)
    for name in MERGING:
        if name in arguments:
            raise NotReadable(f"`{name}` merges in policies this reader cannot see",
                              hcl.start(arguments[name]))
    for dynamic in blocks(body, "dynamic"):
        raise NotReadable("a dynamic block: its statements are not known before terraform "
                          "runs", hcl.start(dynamic))
    document: dict = {"Version": _text(hcl, arguments.get("version")) or "2012-10-17"}
    if "policy_id" in arguments:
        document["Id"] = _text(hcl, arguments["policy_id"])
    rendered, found, styles = [], [], {}
    for index, statement in enumerate(blocks(body, "statement")):
        value, source_statement, style = _statement(hcl, statement, index)
        rendered.append(value)
        found.append(source_statement)
        styles[index] = style
    document["Statement"] = rendered
    return document, found, {"statements": styles}


def _statement(hcl: HclFile, block, index: int) -> tuple[dict, SourceStatement, dict]:
    body = body_of(block)
    arguments = attributes(body)
    statement: dict = {}
    if "sid" in arguments:
        statement["Sid"] = _text(hcl, arguments["sid"])
    effect = arguments.get("effect")
    if effect is not None and string_value(hcl, effect) is None:
        raise NotReadable("an expression in effect", hcl.start(effect))
    statement["Effect"] = string_value(hcl, effect) if effect is not None else "Allow"
    keys = [(name, key) for name, key in LISTS[:2] if name in arguments]
    if len(keys) != 1:
        problem = "both actions and not_actions" if keys else "no actions or not_actions"
        raise NotReadable(f"a statement with {problem}", hcl.start(block))
    actions = _actions(hcl, arguments[keys[0][0]], keys[0][1])
    for name, key in LISTS:
        if name in arguments:
            statement[key] = _strings(hcl, arguments[name])
    for name, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        if blocks(body, name):
            statement[key] = _principals(hcl, blocks(body, name))
    if blocks(body, "condition"):
        statement["Condition"] = _conditions(hcl, blocks(body, "condition"))
    found = SourceStatement(index, hcl.node_span(block), keys[0][1],
                            hcl.span(actions.start, actions.end))
    return statement, found, list_style(hcl.text, actions)


def _actions(hcl: HclFile, node, key: str) -> Tree:
    """The actions list, checked to be a list of plain strings."""
    tree = from_hcl(hcl, node)
    if not isinstance(tree.value, list):
        raise NotReadable(f"{key} built from an expression ({quote(opaque(hcl, node))}): its actions "
                          "are not known before terraform runs", hcl.start(node))
    for item in tree.items:
        check_action(item, key)
    return tree


def _text(hcl: HclFile, node) -> str | None:
    if node is None:
        return None
    value = string_value(hcl, node)
    return value if value is not None else opaque(hcl, node)


def _strings(hcl: HclFile, node) -> list[str]:
    """A list argument's values (expressions opaque); a whole expression is one opaque value."""
    if inner(node).type != "tuple":
        return [opaque(hcl, node)]
    return [item.value if isinstance(item.value, str) else hcl.text[item.start:item.end]
            for item in from_hcl(hcl, node).items]


def _principals(hcl: HclFile, found: list) -> dict | str:
    merged: dict[str, list[str]] = {}
    for block in found:
        arguments = attributes(body_of(block))
        kind = _text(hcl, arguments.get("type")) or ""
        identifiers = (_strings(hcl, arguments["identifiers"]) if "identifiers" in arguments
                       else [])
        merged.setdefault(kind, []).extend(identifiers)
    if list(merged) == ["*"] and merged["*"] == ["*"]:
        return "*"
    return {kind: values[0] if len(values) == 1 else values for kind, values in merged.items()}


def _conditions(hcl: HclFile, found: list) -> dict:
    merged: dict[str, dict[str, list[str]]] = {}
    for block in found:
        arguments = attributes(body_of(block))
        test = _text(hcl, arguments.get("test")) or ""
        variable = _text(hcl, arguments.get("variable")) or ""
        values = _strings(hcl, arguments["values"]) if "values" in arguments else []
        merged.setdefault(test, {}).setdefault(variable, []).extend(values)
    return {test: {variable: values[0] if len(values) == 1 else values
                   for variable, values in variables.items()}
            for test, variables in merged.items()}


def is_policy_document(hcl: HclFile, block) -> bool:
    return (block_type(block) == "data"
            and block_labels(hcl, block)[:1] == ["aws_iam_policy_document"])
