"""CloudFormation templates (YAML or JSON; SAM and CDK output are plain CloudFormation): read
the IAM policies they declare, and write refined action lists back in place."""

from __future__ import annotations

import dataclasses

from .. import deps
from ..errors import InputError
from . import cfn_json, cfn_resources, cfn_write, cfn_yaml
from .cfn_tree import MAP, TNode
from .model import Edit, FoundPolicy, Source

YAML_FORM, JSON_FORM = "cloudformation-yaml", "cloudformation-json"


def is_json(text: str) -> bool:
    """A template whose first character (past a byte order mark and spaces) opens a JSON
    object; any other is read as YAML."""
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def tree(path: str, text: str) -> TNode:
    """The template's tree, read by the JSON reader or by ruamel.yaml."""
    if is_json(text):
        return cfn_json.parse(path, text)
    deps.require("ruamel.yaml", "reading a CloudFormation YAML template")
    return cfn_yaml.parse(path, text)


def read(path: str, text: str) -> Source:
    """Every IAM policy TEXT (the file at PATH) declares, with principals and refusals; bad
    input (a syntax error, an unknown tag, a duplicate key, no IAM policy at all) is an
    InputError at its line and column."""
    root = tree(path, text)
    form = JSON_FORM if is_json(text) else YAML_FORM
    if root.kind != MAP:
        raise InputError("not a CloudFormation template: not a mapping", path, root.line,
                         root.column)
    return cfn_resources.find(path, text, root, form)


def rewrite(source: Source, policy: FoundPolicy, edit: Edit) -> str:
    """SOURCE's text with EDIT applied to POLICY (new action lists, statements removed), every
    other byte as it was."""
    return cfn_write.rewrite(source, policy, edit, tree(source.path, source.text))


def rewrite_all(source: Source, edits: list[tuple[FoundPolicy, Edit]]) -> str:
    """SOURCE's text with each (policy, edit) applied, from the last policy in the text to the
    first: the template is parsed once, as an edit changes nothing before its policy."""
    root, text = tree(source.path, source.text), source.text
    for policy, edit in edits:
        text = cfn_write.rewrite(dataclasses.replace(source, text=text), policy, edit, root)
    return text
