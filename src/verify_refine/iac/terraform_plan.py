"""`terraform show -json` output (format 1.x), read only: the IAM policies of the planned
resources of the root module and its child modules, each at the place of its JSON string in
the plan file and named by the resource's address."""

from __future__ import annotations

import re

from ..errors import InputError
from ..inputs import jsontext
from .hcl_tree import HclFile
from .model import FoundPolicy, Principal, Refusal, Source
from .terraform import POLICY_KINDS
from .tf_holders import PRINCIPAL_KINDS
from .tf_policy import statements_of
from .tf_values import NotReadable, from_json_text

FORM = "terraform-plan"
_HOLDER_KEY = {"aws_iam_role_policy": ("role", "role"), "aws_iam_user_policy": ("user", "user"),
               "aws_iam_group_policy": ("group", "group")}


def read(path: str, text: str) -> Source:
    """The policies of a plan; another format major version is bad input at its place."""
    root = jsontext.parse_tree(text.encode("utf-8"), path)
    _check_version(root, path)
    places = HclFile.of_text(path, text)
    source = Source(path, text)
    planned = _member(root, "planned_values")
    module = _member(planned, "root_module") if planned is not None else None
    if module is not None and not isinstance(module.value, dict):
        raise InputError("\"root_module\" is not an object", path, module.span.line,
                         module.span.column)
    resources = list(_resources(module, path))
    for resource in resources:
        kind = _value(resource, "type")
        name = _value(_member(resource, "values"), "name")
        if kind in PRINCIPAL_KINDS:
            source.principals.append(Principal(_value(resource, "address"),
                                               PRINCIPAL_KINDS[kind],
                                               name if isinstance(name, str) else None,
                                               places.place(resource.span.start)))
    for resource in resources:
        for address, kind, node, holders in _policies(resource, source.principals, resources):
            found = _policy(places, address, kind, node, holders, resource)
            (source.policies if isinstance(found, FoundPolicy) else source.refusals).append(found)
    if not source.policies and not source.refusals:
        raise InputError("no iam policy found in the plan's planned_values", path)
    return source


def _check_version(root, path: str) -> None:
    version = _member(root, "format_version")
    if version is None:
        raise InputError("not a terraform plan: no format_version", path, 1, 1)
    if not isinstance(version.value, str) or not re.fullmatch(r"1(\.\d+)*", version.value):
        raise InputError(f"terraform plan format_version {jsontext.quote(str(version.value))} "
                         "is not supported (this reads 1.x)", path, version.span.line,
                         version.span.column)


def _member(node, key: str):
    if node is None or not isinstance(node.value, dict):
        return None
    return next((value for k, value in node.members if k.value == key), None)


def _value(node, key: str):
    found = _member(node, key)
    return None if found is None else found.value


def _resources(module, path: str):
    """The resources of a module and of its child modules, depth first; each one an object
    with a string `address` and `type`, else bad input at its place."""
    if module is None:
        return
    listed = _member(module, "resources")
    for resource in _list_of_objects(listed, path, "resources"):
        for key in ("address", "type"):
            if not isinstance(_value(resource, key), str):
                raise InputError(f"a planned resource without a string {jsontext.quote(key)}",
                                 path, resource.span.line, resource.span.column)
        yield resource
    for child in _list_of_objects(_member(module, "child_modules"), path, "child_modules"):
        yield from _resources(child, path)


def _list_of_objects(node, path: str, name: str) -> tuple:
    """The items of a plan's list of objects (none when absent), else bad input."""
    if node is None:
        return ()
    if not isinstance(node.value, list) or any(not isinstance(i.value, dict)
                                               for i in node.items):
        raise InputError(f"{jsontext.quote(name)} is not a list of objects", path,
                         node.span.line, node.span.column)
    return node.items


def _policies(resource, principals: list[Principal], resources: list):
    """(address, kind, policy JSON string node, holders) of each policy a resource carries."""
    kind, address = _value(resource, "type"), _value(resource, "address")
    values = _member(resource, "values")
    if kind in POLICY_KINDS:
        yield address, POLICY_KINDS[kind], _member(values, "policy"), \
            _holders(kind, values, principals, resources)
    if kind == "aws_iam_role":
        inline = _member(values, "inline_policy")
        for index, block in enumerate(inline.items if inline is not None else ()):
            yield f"{address}.inline_policy[{index}]", "role-inline", _member(block, "policy"), \
                [address]


def _holders(kind: str, values, principals: list[Principal], resources: list) -> list[str]:
    """Principals named by an inline policy's role/user/group, or attached to a managed
    policy by ARN (known in a plan only once the policy exists)."""
    if kind in _HOLDER_KEY:
        argument, principal_kind = _HOLDER_KEY[kind]
        name = _value(values, argument)
        return [p.address for p in principals if p.kind == principal_kind and p.name == name]
    arn = _value(values, "arn")
    if not isinstance(arn, str):
        return []
    by_name = {p.name: p.address for p in principals}
    held = []
    for resource in resources:
        attached = _member(resource, "values")
        if _value(attached, "policy_arn") == arn:
            held.extend(by_name[n] for key in ("role", "user", "group")
                        if isinstance(n := _value(attached, key), str) and n in by_name)
        arns = _value(attached, "managed_policy_arns")
        if isinstance(arns, list) and arn in arns:
            held.append(_value(resource, "address"))
    return list(dict.fromkeys(held))


def _policy(places: HclFile, address: str, kind: str, node, holders: list[str], resource):
    if node is None or not isinstance(node.value, str):
        return Refusal(address, places.place(resource.span.start),
                       "the policy is not known until terraform applies the plan")
    text, offsets = _decoded(places.text, node.span.start + 1, node.span.end - 1)
    try:
        tree = from_json_text(places.path, text, offsets)
        found, style = statements_of(places, tree)
    except NotReadable as problem:
        return Refusal(address, places.place(problem.offset), problem.message)
    return FoundPolicy(places.path, address, places.place(node.span.start), kind, tree.value,
                       found, FORM, holders, style)


_JSON_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[0-9a-fA-F]{4}|\\u[0-9a-fA-F]{4}"
                          r"|\\.")
_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
           "t": "\t"}


def _decoded(text: str, start: int, end: int) -> tuple[str, list[int]]:
    """A JSON string's text (between its quotes) decoded, with each character's offset."""
    chars: list[str] = []
    offsets: list[int] = []
    position = start
    for match in _JSON_ESCAPE.finditer(text, start, end):
        chars.extend(text[position:match.start()])
        offsets.extend(range(position, match.start()))
        token = match[0]
        if token[1] == "u":
            decoded = token.encode("ascii").decode("unicode_escape").encode(
                "utf-16", "surrogatepass").decode("utf-16")
        else:
            decoded = _SIMPLE[token[1]]
        chars.append(decoded)
        offsets.append(match.start())
        position = match.end()
    chars.extend(text[position:end])
    offsets.extend(range(position, end))
    offsets.append(end)
    return "".join(chars), offsets
