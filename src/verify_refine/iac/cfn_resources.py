"""The IAM policies, principals and attachments of a CloudFormation template's tree: each policy
with its address, its statements' spans, and the principals that hold it; refusals for the
policies whose actions are computed at deploy time."""

from __future__ import annotations

from ..errors import InputError
from ..inputs.jsontext import quote
from . import cfn_json, extract
from .cfn_tree import MAP, SCALAR, SEQ, TNode, find_intrinsic, intrinsic, opaque
from .model import (
    GROUP_INLINE,
    MANAGED,
    PERMISSION_SET,
    ROLE_INLINE,
    USER_INLINE,
    FoundPolicy,
    Place,
    Principal,
    Refusal,
    Source,
    SourceStatement,
    Span,
)

# Resource type -> (principal kind, the property naming it, the kind of its inline policies).
PRINCIPALS = {"AWS::IAM::Role": ("role", "RoleName", ROLE_INLINE),
              "AWS::IAM::User": ("user", "UserName", USER_INLINE),
              "AWS::IAM::Group": ("group", "GroupName", GROUP_INLINE),
              "AWS::SSO::PermissionSet": ("permission-set", "Name", PERMISSION_SET)}
POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
# The property of AWS::IAM::Policy / ManagedPolicy listing holders, and the inline kind it gives.
_ATTACHED_TO = (("Roles", ROLE_INLINE), ("Users", USER_INLINE), ("Groups", GROUP_INLINE))


class NoPolicies(InputError):
    """A template that declares no IAM policy (a folder of templates skips it)."""


def find(path: str, text: str, root: TNode, form: str) -> Source:
    """Everything the template declares: policies, principals, refusals."""
    resources = root.get("Resources")
    if resources is None or resources.kind != MAP:
        where = resources or root
        raise InputError("not a CloudFormation template: no Resources mapping", path,
                         where.line, where.column)
    walker = _Walker(path, form, resources)
    for id_node, resource in resources.pairs:
        walker.resource(id_node, resource)
    source = Source(path, text, walker.policies, walker.principals, walker.refusals)
    if not source.policies and not source.refusals:
        raise NoPolicies("no IAM policy in the template (read: AWS::IAM::Policy, "
                         "ManagedPolicy, Role, User, Group, AWS::SSO::PermissionSet)", path,
                         resources.line, resources.column)
    return source


def type_of(resource: TNode) -> str | None:
    node = resource.get("Type")
    return node.value if node is not None and node.kind == SCALAR and not node.tag else None


def plain_string(node: TNode | None) -> str | None:
    """NODE's text when it is a plain string (no intrinsic function), else None."""
    if node is None or node.kind != SCALAR or node.tag or not isinstance(node.value, str):
        return None
    return node.value


class _Walker:
    def __init__(self, path: str, form: str, resources: TNode):
        self.path, self.form, self.resources = path, form, resources
        self.ids = {key.value for key, _ in resources.pairs}
        self.policies: list[FoundPolicy] = []
        self.principals: list[Principal] = []
        self.refusals: list[Refusal] = []

    def place(self, node: TNode) -> Place:
        return Place(self.path, node.line, node.column)

    def resource(self, id_node: TNode, resource: TNode) -> None:
        logical_id, kind = id_node.value, type_of(resource)
        props = resource.get("Properties")
        props = props if props is not None and props.kind == MAP else TNode(MAP, 0, 0, 1, 1)
        if kind in PRINCIPALS:
            principal_kind, name_key, inline_kind = PRINCIPALS[kind]
            self.principals.append(Principal(logical_id, principal_kind,
                                             plain_string(props.get(name_key)),
                                             self.place(id_node)))
            if kind == "AWS::SSO::PermissionSet":
                document = props.get("InlinePolicy")
                if document is not None:
                    self.policy(f"{logical_id}.InlinePolicy", props.key_node("InlinePolicy"),
                                document, inline_kind, [logical_id])
            else:
                self.inline_policies(logical_id, props, inline_kind)
        elif kind in POLICY_TYPES:
            holders, inline_kind = self.attached(logical_id, props)
            document = props.get("PolicyDocument")
            if document is None:
                self.refuse(logical_id, id_node, "no PolicyDocument")
                return
            self.policy(logical_id, id_node, document,
                        MANAGED if kind == POLICY_TYPES[1] else inline_kind, holders)

    def inline_policies(self, logical_id: str, props: TNode, kind: str) -> None:
        policies = props.get("Policies")
        if policies is None:
            return
        if policies.kind != SEQ or intrinsic(policies):
            self.refuse(f"{logical_id}.Policies", policies, "Policies is not a list of policies"
                        + _function_note(policies))
            return
        for i, item in enumerate(policies.items):
            address = f"{logical_id}.Policies[{i}]"
            document = item.get("PolicyDocument")
            if intrinsic(item) or document is None:
                self.refuse(address, item, "not a policy with a PolicyDocument"
                            + _function_note(item))
                continue
            name = plain_string(item.get("PolicyName"))
            aliases = [f"{logical_id}.Policies.{name}"] if name else []
            self.policy(address, item, document, kind, [logical_id], aliases)

    def attached(self, logical_id: str, props: TNode) -> tuple[list[str], str]:
        """The principals of this template that a Policy or ManagedPolicy is attached to (its
        Roles/Users/Groups given as `!Ref X`, and those naming it in ManagedPolicyArns), and the
        inline kind its first holder gives an AWS::IAM::Policy."""
        holders, kind = [], None
        for key, inline_kind in _ATTACHED_TO:
            node = props.get(key)
            for item in node.items if node is not None and node.kind == SEQ else ():
                target = _ref(item)
                if target in self.ids and target not in holders:
                    holders.append(target)
                    kind = kind or inline_kind
        for holder_id, resource in self.resources.pairs:
            if type_of(resource) not in PRINCIPALS or holder_id.value in holders:
                continue
            props_of = resource.get("Properties")
            arns = props_of.get("ManagedPolicyArns") if props_of is not None else None
            if arns is not None and arns.kind == SEQ and any(
                    _ref(item) == logical_id for item in arns.items):
                holders.append(holder_id.value)
        return holders, kind or ROLE_INLINE

    def refuse(self, address: str, node: TNode, message: str) -> None:
        self.refusals.append(Refusal(address, self.place(node), message))

    def policy(self, address: str, at: TNode, document: TNode, kind: str, holders: list[str],
               aliases: list[str] = ()) -> None:
        """Read one policy document; anything that makes it unreadable is a refusal. A
        document given as a JSON string (a permission set's InlinePolicy may be) is read from
        the string, and is read only."""
        style = {"aliases": list(aliases)}
        if document.kind == SCALAR and not intrinsic(document) and isinstance(document.value,
                                                                              str):
            try:
                document = cfn_json.parse(f"{self.path} ({address})", document.value)
            except InputError as error:
                self.refuse(address, document, f"not a JSON policy: {error.message}")
                return
            style["read_only"] = "the policy is a JSON string in the template"
        problem = _document_problem(document)
        if problem:
            self.refuse(address, problem[0], problem[1])
            return
        found = FoundPolicy(self.path, address, self.place(at), kind, opaque(document),
                            self.statements(document), self.form, list(holders), style)
        invalid = extract.problem(found)
        if invalid:
            self.refuse(address, document, f"not a valid policy: {invalid}")
            return
        self.policies.append(found)

    def statements(self, document: TNode) -> list[SourceStatement]:
        statement = document.get("Statement")
        nodes = statement.items if statement.kind == SEQ else [statement]
        out = []
        for index, node in enumerate(nodes):
            key = next(k for k, _ in node.pairs if k.value in ("Action", "NotAction"))
            value = node.get(key.value)
            out.append(SourceStatement(index, Span(node.start, node.end, self.place(node)),
                                       key.value, Span(value.start, value.end,
                                                       self.place(value))))
        return out


def _ref(node: TNode) -> str | None:
    """X of `!Ref X` / {"Ref": X}, else None."""
    if node.tag == "!Ref" and node.kind == SCALAR:
        return node.value
    if intrinsic(node) == "Ref" and node.pairs[0][1].kind == SCALAR:
        return node.pairs[0][1].value
    return None


def _function_note(node: TNode) -> str:
    name = intrinsic(node)
    return f" (it is the intrinsic function {quote(name)})" if name else ""


def _document_problem(document: TNode) -> tuple[TNode, str] | None:
    """Where and why a policy document cannot be refined in place: computed at deploy time (an
    intrinsic function for the document, its Statement, a statement or an action list), a YAML
    alias for an action list, or a shape that is not a policy's."""
    if intrinsic(document) or document.kind != MAP:
        return document, "the policy document is not a mapping" + _function_note(document)
    statement = document.get("Statement")
    if statement is None:
        return document, "the policy has no Statement"
    if intrinsic(statement) or statement.kind == SCALAR:
        return statement, "Statement is not a statement or a list" + _function_note(statement)
    for node in statement.items if statement.kind == SEQ else [statement]:
        if intrinsic(node) or node.kind != MAP:
            return node, "a statement is not a mapping" + _function_note(node)
        actions = [v for k, v in node.pairs if k.value in ("Action", "NotAction")]
        if not actions:
            return node, "a statement has neither Action nor NotAction"
        function = find_intrinsic(actions[0])
        if function is not None:
            key = "Action" if node.get("Action") is actions[0] else "NotAction"
            return function, (f"intrinsic function {quote(intrinsic(function))} in {key}: "
                              "an action list computed at deploy time cannot be refined")
        if actions[0].alias or any(item.alias for item in actions[0].items):
            return actions[0], "a YAML alias in an action list (it is written elsewhere)"
    return None
