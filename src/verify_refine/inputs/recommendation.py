"""Recommended policies as AWS prints them, each step about one policy (CREATE_POLICY with its
recommended document, DETACH_POLICY): Access Analyzer's `aws accessanalyzer
get-finding-recommendation` and Security Hub's `aws securityhub get-recommended-policy-v2`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import InputError, UsageError
from .jsontext import parse_tree
from .model import Number
from .wrappers import document_text_bytes

CREATE, DETACH = "CREATE_POLICY", "DETACH_POLICY"
EMPTY_POLICY = b'{"Version": "2012-10-17", "Statement": []}'
# Both spellings of the type: the API model's, and the one AWS's blog post and Security Hub print.
KINDS = ("UnusedPermissionRecommendation", "UNUSED_PERMISSION_RECOMMENDATION")


@dataclass(frozen=True)
class Dialect:
    """The field names of one service's recommendation output, and its commands."""

    name: str
    steps: str
    step: str
    action: str
    policy: str
    policy_id: str
    status: str
    error: str
    code: str
    message: str
    kind: str
    next: str
    arn: str
    dates: tuple[str, ...]
    get: str
    generate: str


ACCESS_ANALYZER = Dialect(
    "get-finding-recommendation", "recommendedSteps", "unusedPermissionsRecommendedStep",
    "recommendedAction", "recommendedPolicy", "existingPolicyId", "status", "error", "code",
    "message", "recommendationType", "nextToken", "resourceArn", ("completedAt", "startedAt"),
    "aws accessanalyzer get-finding-recommendation",
    "aws accessanalyzer generate-finding-recommendation")
SECURITY_HUB = Dialect(
    "get-recommended-policy-v2", "RecommendationSteps", "UnusedPermissions", "RecommendedAction",
    "RecommendedPolicy", "ExistingPolicyId", "Status", "Error", "Code", "Message",
    "RecommendationType", "NextToken", "ResourceArn", (),
    "aws securityhub get-recommended-policy-v2", "aws securityhub generate-recommended-policy-v2")


@dataclass(frozen=True)
class Step:
    """One recommended step: CREATE_POLICY (with the recommended document) or DETACH_POLICY."""

    index: int
    action: str
    policy_id: str | None
    document: bytes | None  # CREATE_POLICY: the recommended policy, decoded
    source: str  # how messages name the recommended document
    steps_field: str = ACCESS_ANALYZER.steps

    @property
    def label(self) -> str:
        on = f" {self.policy_id}" if self.policy_id else ""
        return f"{self.steps_field}[{self.index}] {self.action}{on}"


@dataclass(frozen=True)
class Recommendation:
    """A finished recommendation (status SUCCEEDED): its steps, and when it was made."""

    resource_arn: str | None
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()
    date: str | None = None  # completedAt (Access Analyzer); Security Hub gives none
    date_field: str | None = None


def recommendation(data: bytes, source: str) -> Recommendation:
    """Read get-finding-recommendation or get-recommended-policy-v2 output (told apart by its
    field names); anything but a finished one is bad input."""
    root = parse_tree(data, source)

    def fail(message: str, node) -> InputError:
        return InputError(message, source, node.span.line, node.span.column)

    value = root.value
    dialect = SECURITY_HUB if isinstance(value, dict) and any(
        k in value for k in ("RecommendationSteps", "Status")) else ACCESS_ANALYZER
    if not isinstance(value, dict) or dialect.steps not in value and dialect.status not in value:
        raise fail("not 'aws accessanalyzer get-finding-recommendation' or 'aws securityhub "
                   "get-recommended-policy-v2' output (no recommendedSteps or status)", root)
    fields = dict((k.value, v) for k, v in root.members)
    kind = value.get(dialect.kind, KINDS[0])
    if kind not in KINDS:
        raise fail(f"{dialect.kind} {_shown(kind)}: only {KINDS[0]} (or {KINDS[1]}) is read",
                   fields[dialect.kind])
    problem = _unfinished(value, dialect)
    if problem:
        raise fail(problem, fields.get(dialect.status, root))
    steps, warnings = _steps(fields.get(dialect.steps), root, dialect, source, fail)
    if value.get(dialect.next):
        warnings.append(f"{source}: {dialect.next} is set: this is one page of the "
                        "recommendation; steps on other pages are not checked (run without "
                        "--max-items)")
    arn = value.get(dialect.arn)
    date_field = next((k for k in dialect.dates if isinstance(value.get(k), str)), None)
    return Recommendation(arn if isinstance(arn, str) else None, tuple(steps), tuple(warnings),
                          value[date_field] if date_field else None, date_field)


def _steps(steps_node, root, dialect: Dialect, source: str, fail) -> tuple[list, list]:
    """The steps of a recommendation, and warnings about steps of other kinds."""
    if steps_node is None or not isinstance(steps_node.value, list):
        raise fail(f"{dialect.steps}: expected a list", steps_node or root)
    steps, warnings = [], []
    for i, item in enumerate(steps_node.items):
        inner = dict((k.value, v) for k, v in item.members) if isinstance(item.value, dict) \
            else {}
        node = inner.get(dialect.step)
        if node is None or not isinstance(node.value, dict):
            warnings.append(f"{source}: {dialect.steps}[{i}] is not an {dialect.step}; "
                            "skipped")
            continue
        step = dict((k.value, v) for k, v in node.members)
        action = node.value.get(dialect.action)
        if action not in (CREATE, DETACH):
            raise fail(f"{dialect.steps}[{i}].{dialect.action}: expected {CREATE} or "
                       f"{DETACH}", step.get(dialect.action, node))
        policy_id = node.value.get(dialect.policy_id)
        where = f"{dialect.steps}[{i}].{dialect.step}.{dialect.policy}"
        document = None
        if action == CREATE:
            policy = step.get(dialect.policy)
            if policy is None or not isinstance(policy.value, str):
                raise fail(f"{dialect.steps}[{i}]: a CREATE_POLICY step needs "
                           f"{dialect.policy} (a string)", policy or node)
            document = document_text_bytes(policy.value, source, where, policy.span)
        steps.append(Step(i, action, policy_id if isinstance(policy_id, str) else None,
                          document, f"{source} ({where})", dialect.steps))
    if not steps:
        raise fail(f"the recommendation has no {dialect.step}", steps_node)
    return steps, warnings


def _unfinished(value: dict, dialect: Dialect) -> str | None:
    """Why a recommendation whose status is not SUCCEEDED cannot be read, with AWS's error."""
    status = value.get(dialect.status)
    if status == "SUCCEEDED":
        return None
    error = value.get(dialect.error) if isinstance(value.get(dialect.error), dict) else {}
    detail = ": ".join(error[k] for k in (dialect.code, dialect.message)
                       if isinstance(error.get(k), str) and error[k])
    hint = f"; generate it again with '{dialect.generate}'" if status == "FAILED" else \
        f"; run '{dialect.get}' again when it is done" if status == "IN_PROGRESS" else ""
    said = f"status {status}" if isinstance(status, str) else "no status" \
        if status is None else f"status {_shown(status)}"
    return f"the recommendation has {said}" + (f" ({detail})" if detail else "") + hint


def _shown(value) -> str:
    """A JSON value for a message: one line, shortened."""
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, Number):
        return value.text[:40]
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) \
        else json.dumps(value)


def _same_policy(a: str, b: str) -> bool:
    """Access Analyzer names a managed policy by its ARN and an inline policy by its name; an
    ARN also matches its bare policy name."""
    if a == b:
        return True
    return a.startswith("arn:") != b.startswith("arn:") \
        and a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1]


def select_steps(rec: Recommendation, policy_id: str | None) -> list[Step]:
    """The steps about one policy: those of policy_id, else all when they name one policy."""
    if policy_id is not None:
        chosen = [s for s in rec.steps if s.policy_id and _same_policy(s.policy_id, policy_id)]
        if not chosen:
            ids = ", ".join(sorted({s.policy_id or "(none)" for s in rec.steps}))
            raise UsageError(f"--policy-id {policy_id}: no step of the recommendation is about "
                             f"it (its steps name: {ids})")
        return chosen
    ids = {s.policy_id for s in rec.steps}
    if len(ids) > 1:
        raise UsageError("the recommendation has steps for several policies ("
                         + ", ".join(sorted(i or "(none)" for i in ids)) + "); ORIGINAL is one "
                         "of them: choose its step with --policy-id")
    return list(rec.steps)
