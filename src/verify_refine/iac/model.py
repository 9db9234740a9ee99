"""What a reader of infrastructure code finds: each IAM policy with where it is in the source,
the principals that hold it, and the policies it had to refuse; the shared contract between the
CloudFormation and Terraform readers and writers and the commands that use them."""

from __future__ import annotations

from dataclasses import dataclass, field

# The kinds of policy, named as the IAM size quotas name them (report/size.py).
MANAGED, ROLE_INLINE, USER_INLINE, GROUP_INLINE = ("managed", "role-inline", "user-inline",
                                                    "group-inline")
PERMISSION_SET = "permission-set-inline"


@dataclass(frozen=True)
class Place:
    """A position in a source file: 1-based line and column (columns count characters)."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Span:
    """A range of a source file's text, as str offsets [start, end), with where it starts."""

    start: int
    end: int
    place: Place


@dataclass
class SourceStatement:
    """One statement of a policy as it is written in the source: the whole statement's span
    (to remove it when nothing is left to allow) and its Action or NotAction value's span (the
    only text an in-place edit replaces). `key` is "Action" or "NotAction"."""

    index: int
    span: Span
    key: str
    value: Span


@dataclass
class FoundPolicy:
    """An IAM policy found in a source file.

    `address` names it for the user and in certificates: `MyRole.Policies[0]`,
    `MyPolicy` (AWS::IAM::Policy / ManagedPolicy), `aws_iam_policy.app`,
    `aws_iam_role.app.inline_policy[0]`, `data.aws_iam_policy_document.app`.
    `document` is the policy as a JSON value with every intrinsic function or Terraform
    expression outside Action/NotAction kept as an opaque value (a string such as
    "${aws_s3_bucket.b.arn}" or {"Fn::Sub": ...}); its canonical JSON is what certificates hash.
    `statements` are in the order of document["Statement"] (a single statement object counts
    as a list of one). `holders` are the addresses of the principals (role, user, group,
    permission set) that carry it: the one it is inline in, or the ones it is attached to.
    `style` is the writer's to use: how the source writes lists, quotes and indentation.
    """

    path: str
    address: str
    place: Place
    kind: str
    document: dict
    statements: list[SourceStatement]
    form: str  # "cloudformation-yaml", "cloudformation-json", "terraform-jsonencode",
    #            "terraform-heredoc", "terraform-string" (a JSON string), "terraform-document",
    #            "terraform-plan" (read only)
    holders: list[str] = field(default_factory=list)
    style: dict = field(default_factory=dict)


@dataclass
class Principal:
    """A role, user, group or permission set declared in a source file: its address, kind
    ("role", "user", "group", "permission-set"), its name when the source gives it as a plain
    string (RoleName, UserName, GroupName, Terraform `name`), else None."""

    address: str
    kind: str
    name: str | None
    place: Place


@dataclass
class Refusal:
    """A policy that cannot be read, with the reason (an intrinsic function or an expression in
    Action/NotAction, a policy built from a variable, ...). The other policies go on."""

    address: str
    place: Place
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.address}: {self.message}"


@dataclass
class Source:
    """Everything found in one file (or one Terraform folder): `text` is the file's text as
    read (the in-place writer edits it and nothing else)."""

    path: str
    text: str
    policies: list[FoundPolicy] = field(default_factory=list)
    principals: list[Principal] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def policy(self, address: str) -> FoundPolicy | None:
        return next((p for p in self.policies if p.address == address), None)


# The edit a writer applies to a FoundPolicy: statement index -> the new Action/NotAction
# list (a list of strings), or None to remove the statement with its surrounding syntax.
Edit = dict[int, "list[str] | None"]
