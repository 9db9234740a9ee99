"""Access Analyzer's recommendations as `aws accessanalyzer get-finding-recommendation` prints
them: the steps (CREATE_POLICY with its recommended document, DETACH_POLICY) about one policy."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import InputError, UsageError
from .jsontext import parse_tree
from .model import Number
from .wrappers import document_text_bytes

CREATE, DETACH = "CREATE_POLICY", "DETACH_POLICY"
EMPTY_POLICY = b'{"Version": "2012-10-17", "Statement": []}'


@dataclass(frozen=True)
class Step:
    """One recommended step: CREATE_POLICY (with the recommended document) or DETACH_POLICY."""

    index: int
    action: str
    policy_id: str | None
    document: bytes | None  # CREATE_POLICY: the recommended policy, decoded
    source: str  # how messages name the recommended document

    @property
    def label(self) -> str:
        on = f" {self.policy_id}" if self.policy_id else ""
        return f"recommendedSteps[{self.index}] {self.action}{on}"


@dataclass(frozen=True)
class Recommendation:
    """`aws accessanalyzer get-finding-recommendation` output, with status SUCCEEDED."""

    resource_arn: str | None
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()


def recommendation(data: bytes, source: str) -> Recommendation:
    """Read get-finding-recommendation output; anything but a finished one is bad input."""
    root = parse_tree(data, source)

    def fail(message: str, node) -> InputError:
        return InputError(message, source, node.span.line, node.span.column)

    value = root.value
    if not isinstance(value, dict) or "recommendedSteps" not in value and "status" not in value:
        raise fail("not 'aws accessanalyzer get-finding-recommendation' output (no "
                   "recommendedSteps or status)", root)
    fields = dict((k.value, v) for k, v in root.members)
    kind = value.get("recommendationType", "UnusedPermissionRecommendation")
    if kind != "UnusedPermissionRecommendation":
        raise fail(f"recommendationType {_shown(kind)}: only UnusedPermissionRecommendation "
                   "is read", fields["recommendationType"])
    problem = _unfinished(value)
    if problem:
        raise fail(problem, fields.get("status", root))
    steps_node = fields.get("recommendedSteps")
    if steps_node is None or not isinstance(steps_node.value, list):
        raise fail("recommendedSteps: expected a list", steps_node or root)
    steps, warnings = [], []
    for i, item in enumerate(steps_node.items):
        inner = dict((k.value, v) for k, v in item.members) if isinstance(item.value, dict) \
            else {}
        node = inner.get("unusedPermissionsRecommendedStep")
        if node is None or not isinstance(node.value, dict):
            warnings.append(f"{source}: recommendedSteps[{i}] is not an "
                            "unusedPermissionsRecommendedStep; skipped")
            continue
        step = dict((k.value, v) for k, v in node.members)
        action = node.value.get("recommendedAction")
        if action not in (CREATE, DETACH):
            raise fail(f"recommendedSteps[{i}].recommendedAction: expected {CREATE} or "
                       f"{DETACH}", step.get("recommendedAction", node))
        policy_id = node.value.get("existingPolicyId")
        where = f"recommendedSteps[{i}].unusedPermissionsRecommendedStep.recommendedPolicy"
        document = None
        if action == CREATE:
            policy = step.get("recommendedPolicy")
            if policy is None or not isinstance(policy.value, str):
                raise fail(f"recommendedSteps[{i}]: a CREATE_POLICY step needs "
                           "recommendedPolicy (a string)", policy or node)
            document = document_text_bytes(policy.value, source, where, policy.span)
        steps.append(Step(i, action, policy_id if isinstance(policy_id, str) else None,
                          document, f"{source} ({where})"))
    if not steps:
        raise fail("the recommendation has no unusedPermissionsRecommendedStep", steps_node)
    if value.get("nextToken"):
        warnings.append(f"{source}: nextToken is set: this is one page of the recommendation; "
                        "steps on other pages are not checked (run without --max-items)")
    arn = value.get("resourceArn")
    return Recommendation(arn if isinstance(arn, str) else None, tuple(steps), tuple(warnings))


def _unfinished(value: dict) -> str | None:
    """Why a recommendation whose status is not SUCCEEDED cannot be read, with AWS's error."""
    status = value.get("status")
    if status == "SUCCEEDED":
        return None
    error = value.get("error") if isinstance(value.get("error"), dict) else {}
    detail = ": ".join(error[k] for k in ("code", "message")
                       if isinstance(error.get(k), str) and error[k])
    hint = "; generate it again with 'aws accessanalyzer generate-finding-recommendation'" \
        if status == "FAILED" else "; run get-finding-recommendation again when it is done" \
        if status == "IN_PROGRESS" else ""
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
