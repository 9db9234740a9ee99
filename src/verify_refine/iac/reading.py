"""Infrastructure code given on the command line: a CloudFormation template, a Terraform file or
folder, or a Terraform plan, told apart by name and content and read by its reader; and the
in-place writer for a policy's form."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

from ..errors import InputError, UsageError
from ..files import read_input
from ..inputs.jsontext import decode
from . import cloudformation
from .cfn_resources import NoPolicies
from .model import Edit, FoundPolicy, Source

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
PLAN_FORM = "terraform-plan"
_AWS_TYPE = re.compile(r"""^\s+Type:\s*["']?AWS::""", re.M)


def looks_like_template(path: str) -> bool:
    """Whether PATH is infrastructure code rather than a policy document: a folder, a `.tf`
    file, or a file whose top level has a CloudFormation template's or a Terraform plan's keys.
    Cheap and quiet: a file that cannot be read is not one (its reader says why)."""
    if os.path.isdir(path):
        return _holds_code(path)
    if path.endswith(".tf"):
        return True
    if not os.path.isfile(path) or not path.endswith(TEMPLATE_SUFFIXES):
        return False
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return False
    return _kind(text) is not None


def _holds_code(folder: str) -> bool:
    """Whether FOLDER holds a Terraform file or a template (a folder of anything else is not
    infrastructure code: the policy reader says what it is)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(name.endswith(".tf") or name.endswith(TEMPLATE_SUFFIXES) and
               looks_like_template(os.path.join(folder, name)) for name in names)


def _kind(text: str) -> str | None:
    """"cloudformation", "plan", or None: by the document's top-level keys."""
    if cloudformation.is_json(text):
        try:
            top = json.loads(text.lstrip("\ufeff"))
        except ValueError:
            return "cloudformation" if '"AWSTemplateFormatVersion"' in text else None
        if not isinstance(top, dict):
            return None
        if "format_version" in top and "planned_values" in top:
            return "plan"
        return "cloudformation" if _has_template_keys(top) else None
    lines = text.splitlines()
    if any(line.startswith("AWSTemplateFormatVersion") for line in lines):
        return "cloudformation"
    return "cloudformation" if any(line.split("#")[0].rstrip() == "Resources:"
                                   for line in lines) and _AWS_TYPE.search(text) else None


def _has_template_keys(top: dict) -> bool:
    resources = top.get("Resources")
    return "AWSTemplateFormatVersion" in top or isinstance(resources, dict) and any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::")
        for r in resources.values())


def read_sources(path: str) -> list[Source]:
    """Every Source at PATH: a template or plan file, a Terraform file, or a folder (its
    Terraform files, and its templates; a template there that declares no IAM policy is
    skipped). Bad input is an InputError with its position."""
    if os.path.isdir(path):
        return _read_folder(path)
    if path.endswith(".tf"):
        return _terraform(path).read_folder(path)
    data = read_input(path, "template")
    text = decode(data, path)  # UTF-8 checked, with the line and column of a bad byte
    original = data.decode("utf-8")  # a byte order mark kept: the writer keeps every byte
    kind = _kind(text)
    if kind == "plan":
        return [_terraform_plan(path).read(path, original)]
    if kind is None:
        raise InputError("not a CloudFormation template (no AWSTemplateFormatVersion and no "
                         "Resources of AWS:: types) nor a Terraform plan", path, 1, 1)
    return [cloudformation.read(path, original)]


def _read_folder(path: str) -> list[Source]:
    """A folder: its Terraform files as the Terraform reader reads a folder, and each file that
    is a template or a plan, in name order."""
    names = sorted(os.listdir(path))
    out: list[Source] = []
    if any(name.endswith(".tf") for name in names):
        out += _terraform(path).read_folder(path)
    for name in names:
        full = os.path.join(path, name)
        if os.path.isfile(full) and name.endswith(TEMPLATE_SUFFIXES) and \
                looks_like_template(full):
            try:
                out += read_sources(full)
            except NoPolicies:
                continue
    return out


def rewrite(source: Source, policy: FoundPolicy, edit: Edit) -> str:
    """SOURCE's text with EDIT applied to POLICY, by the writer of the policy's form."""
    if policy.form.startswith("cloudformation"):
        return cloudformation.rewrite(source, policy, edit)
    if policy.form == PLAN_FORM:
        raise UsageError(f"{policy.path}: a Terraform plan is read only: refine the "
                         "Terraform files it was planned from (give their folder)")
    return _terraform(policy.path).rewrite(source, policy, edit)


def rewrite_all(source: Source, edits: list[tuple[FoundPolicy, Edit]]) -> str:
    """SOURCE's text with every edit applied, in the order given: from the last policy in the
    text to the first, so that the spans read from SOURCE hold for each."""
    if edits and edits[0][0].form.startswith("cloudformation"):
        return cloudformation.rewrite_all(source, edits)
    text = source.text
    for policy, edit in edits:
        text = rewrite(dataclasses.replace(source, text=text), policy, edit)
    return text


def _terraform(path: str):
    """The Terraform reader, imported when a .tf source is met (it checks its extra itself)."""
    from . import terraform
    return terraform


def _terraform_plan(path: str):
    """The Terraform plan reader, imported when a plan is met."""
    from . import terraform_plan
    return terraform_plan
