"""Who holds each Terraform policy: roles, users and groups declared in the folder, the
principal an inline policy names, and the attachments of managed policies
(`aws_iam_*_policy_attachment`, `aws_iam_policy_attachment`, a role's `managed_policy_arns`)."""

from __future__ import annotations

from .hcl_tree import HclFile, attributes, body_of, inner, string_value, traversal
from .model import Principal

PRINCIPAL_KINDS = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}
# An inline policy resource -> the argument naming its principal, and that principal's type.
INLINE_HOLDER = {"aws_iam_role_policy": ("role", "aws_iam_role"),
                 "aws_iam_user_policy": ("user", "aws_iam_user"),
                 "aws_iam_group_policy": ("group", "aws_iam_group")}
# An attachment resource -> its principal arguments and their principal types.
ATTACHMENTS = {
    "aws_iam_role_policy_attachment": (("role", "aws_iam_role"),),
    "aws_iam_user_policy_attachment": (("user", "aws_iam_user"),),
    "aws_iam_group_policy_attachment": (("group", "aws_iam_group"),),
    "aws_iam_policy_attachment": (("roles", "aws_iam_role"), ("users", "aws_iam_user"),
                                  ("groups", "aws_iam_group")),
}


class Holders:
    """The principals of a folder and the resources that attach policies to them.
    `resources` is [(type, name, block, hcl)] over every file of the folder."""

    def __init__(self, resources: list):
        self.principals: list[Principal] = []
        self.attached: dict[str, list[str]] = {}  # aws_iam_policy.x -> principal addresses
        for kind, name, block, hcl in resources:
            if kind in PRINCIPAL_KINDS:
                named = attributes(body_of(block)).get("name")
                literal = string_value(hcl, named) if named is not None else None
                self.principals.append(Principal(f"{kind}.{name}", PRINCIPAL_KINDS[kind],
                                                 literal, hcl.place(hcl.start(block))))
        for kind, name, block, hcl in resources:
            arguments = attributes(body_of(block))
            if kind in ATTACHMENTS:
                policy = _policy_address(arguments.get("policy_arn"))
                for argument, principal_type in ATTACHMENTS[kind]:
                    for holder in self._named(hcl, arguments.get(argument), principal_type):
                        self._attach(policy, holder)
            if kind == "aws_iam_role" and "managed_policy_arns" in arguments:
                for item in _items(arguments["managed_policy_arns"]):
                    self._attach(_policy_address(item), f"{kind}.{name}")

    def _attach(self, policy: str | None, holder: str) -> None:
        if policy is not None and holder not in self.attached.setdefault(policy, []):
            self.attached[policy].append(holder)

    def inline_holder(self, hcl: HclFile, kind: str, block) -> list[str]:
        """The principal an aws_iam_{role,user,group}_policy names (by reference or name)."""
        argument, principal_type = INLINE_HOLDER[kind]
        return self._named(hcl, attributes(body_of(block)).get(argument), principal_type)

    def _named(self, hcl: HclFile, node, principal_type: str) -> list[str]:
        """The declared principals of principal_type that node names: `aws_iam_role.x.name`
        (or .id, .arn), a literal name, or a list of those."""
        if node is None:
            return []
        found = []
        for item in _items(node):
            names = traversal(item)
            if names and len(names) >= 2 and names[0] == principal_type:
                address = f"{names[0]}.{names[1]}"
                if any(p.address == address for p in self.principals):
                    found.append(address)
                continue
            literal = string_value(hcl, item)
            found.extend(p.address for p in self.principals
                         if literal is not None and p.name == literal
                         and p.address.startswith(principal_type + "."))
        return found


def _items(node) -> list:
    """The elements of a list expression, or the expression itself."""
    core = inner(node)
    if core.type == "tuple":
        return [c for c in core.children if c.type == "expression"]
    return [node]


def _policy_address(node) -> str | None:
    """`aws_iam_policy.x.arn` -> "aws_iam_policy.x"."""
    names = traversal(node) if node is not None else None
    if names and len(names) == 3 and names[0] == "aws_iam_policy" and names[2] == "arn":
        return f"aws_iam_policy.{names[1]}"
    return None
