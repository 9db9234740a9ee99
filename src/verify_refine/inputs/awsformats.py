"""AWS CLI output in: policies wrapped by `aws iam get-*-policy*`, and Access Analyzer's recommendations."""

from __future__ import annotations

import json
import sys
import urllib.parse
from dataclasses import dataclass

from ..errors import InputError, UsageError
from ..files import read_input
from .model import Number, Policy
from .parse import _parse_tree, decode, parse_policy

CREATE, DETACH = "CREATE_POLICY", "DETACH_POLICY"
EXIT_OK, EXIT_REFUTED, EXIT_UNKNOWN = 0, 1, 3
EMPTY_POLICY = b'{"Version": "2012-10-17", "Statement": []}'
# Top-level key of a wrapper -> the keys leading to the document inside it.
_WRAPPERS = {"PolicyVersion": ("PolicyVersion", "Document"),  # get-policy-version
             "PolicyDocument": ("PolicyDocument",)}  # get-role-policy, get-user-policy, ...


# --- policy documents ----------------------------------------------------------------------------

def policy_document_bytes(data: bytes, source: str) -> bytes:
    """The bare policy document in data: data itself, or the Document of an `aws iam` wrapper."""
    return _unwrap(data, source)[0]


def load_policy(data: bytes, source: str, allow_empty: bool = False) -> Policy:
    """parse_policy for a bare document or an `aws iam` wrapper. A document held in a string is
    named `FILE (Key.Path, URL-decoded)` in messages: its lines and columns are those of the
    string's text. An object document keeps the file's own lines and columns."""
    document, label = _unwrap(data, source)
    return parse_policy(document, label, allow_empty)


def _unwrap(data: bytes, source: str) -> tuple[bytes, str]:
    if not any(f'"{key}"'.encode() in data for key in (*_WRAPPERS, "Policy")):
        return data, source  # a bare document: parse_policy reads it as it is
    root = _parse_tree(data, source)
    if not isinstance(root.value, dict) or "Statement" in root.value:
        return data, source
    wrapper = next((w for w in _WRAPPERS if w in root.value), None)
    if wrapper is None:
        if "Policy" in root.value:
            raise InputError("this is 'aws iam get-policy' output, which holds no document; "
                             "use 'aws iam get-policy-version --policy-arn ARN --version-id "
                             "DEFAULT_VERSION_ID'", source, root.span.line, root.span.column)
        return data, source
    node, path = root, []
    for key in _WRAPPERS[wrapper]:
        inner = dict((k.value, v) for k, v in node.members)
        if key not in inner:
            raise InputError(f"{'.'.join(path)} has no {key}", source, node.span.line,
                             node.span.column)
        node = inner[key]
        path.append(key)
    where = ".".join(path)
    if isinstance(node.value, str):
        decoded = "" if node.value.lstrip().startswith("{") else ", URL-decoded"
        return document_text_bytes(node.value, source, where, node.span), \
            f"{source} ({where}{decoded})"
    if not isinstance(node.value, dict):
        raise InputError(f"{where} must be a policy document (an object or a string)",
                         source, node.span.line, node.span.column)
    # Blank out the wrapper around the object, keeping line breaks: parse_policy then reports
    # the very lines and columns of the file, and the size limit sees the same length.
    text = decode(data, source)
    start, end = node.span.start, node.span.end
    return (_blank(text[:start]) + text[start:end] + _blank(text[end:])).encode("utf-8"), source


def _blank(text: str) -> str:
    return "".join(ch if ch in "\r\n" else " " for ch in text)


def document_text_bytes(value: str, source: str, where: str, span=None) -> bytes:
    """The document held in a JSON string: plain JSON text, or URL-encoded as IAM returns it."""
    text = value.strip()
    if not text.startswith("{"):
        try:
            text = urllib.parse.unquote(text, errors="strict")
        except UnicodeDecodeError:
            raise InputError(f"{where}: the URL-encoded document is not UTF-8", source,
                             *((span.line, span.column) if span else ())) from None
    return text.encode("utf-8")


# --- Access Analyzer recommendations -------------------------------------------------------------

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
    root = _parse_tree(data, source)

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
    status = value.get("status")
    if status != "SUCCEEDED":
        error = value.get("error") if isinstance(value.get("error"), dict) else {}
        detail = ": ".join(error[k] for k in ("code", "message")
                           if isinstance(error.get(k), str) and error[k])
        hint = "; generate it again with 'aws accessanalyzer generate-finding-recommendation'" \
            if status == "FAILED" else "; run get-finding-recommendation again when it is done" \
            if status == "IN_PROGRESS" else ""
        said = f"status {status}" if isinstance(status, str) else "no status" \
            if status is None else f"status {_shown(status)}"
        raise fail(f"the recommendation has {said}" + (f" ({detail})" if detail else "")
                   + hint, fields.get("status", root))
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


@dataclass(frozen=True)
class StepResult:
    """A step and the whole-policy verdict on it (DETACH: ORIGINAL against an empty policy)."""

    step: Step
    result: object  # prove.whole.VerifyResult

    @property
    def status(self) -> str:
        return self.result.status


def verify_recommendation(original: Policy, rec: Recommendation, unused, catalog,
                          timeout_s: float, policy_id: str | None = None) -> list[StepResult]:
    """Prove or refute each step about ORIGINAL. CREATE_POLICY: the recommended policy is a
    refinement (sound, removes, complete). DETACH_POLICY: ORIGINAL allows no used catalog action,
    i.e. the empty policy is a refinement of it (sound and removes hold for nothing allowed)."""
    from .. import pipeline

    out = []
    for step in select_steps(rec, policy_id):
        if step.action == CREATE:
            candidate = parse_policy(step.document, step.source, allow_empty=True)
        else:
            candidate = parse_policy(EMPTY_POLICY, "<empty policy>", allow_empty=True)
        out.append(StepResult(step, pipeline.verify(original, candidate, unused, catalog,
                                                    timeout_s=timeout_s)))
    return out


def describe(item: StepResult, catalog) -> str:
    """The one line printed for a step."""
    step, result = item.step, item.result
    queries = f"{len(result.queries)} {'query' if len(result.queries) == 1 else 'queries'}"
    if step.action == DETACH:
        if result.status == "proved":
            return (f"detach: safe: {step.label}: ORIGINAL allows no used catalog action "
                    f"({queries}); catalog {catalog.label}")
        if result.status == "refuted":
            return (f"detach: unsafe: {step.label}: ORIGINAL allows {result.action} on "
                    f'resource "{result.resource}", a used catalog action; detaching the '
                    "policy takes it away")
        return f"unknown: {step.label}: {result.explanation}"
    if result.status == "proved":
        return (f"proved: {step.label}: sound, removes, complete ({queries}); "
                f"catalog {catalog.label}")
    return f"{result.status}: {step.label}: {result.explanation}"


def exit_code(results: list[StepResult]) -> int:
    statuses = {r.status for r in results}
    if "refuted" in statuses:
        return EXIT_REFUTED
    return EXIT_UNKNOWN if statuses - {"proved"} else EXIT_OK


# --- the command line ----------------------------------------------------------------------------

def add_verify_options(parser) -> None:
    """`verify ORIGINAL --aws-recommendation FILE [--policy-id ID]`."""
    parser.add_argument("--aws-recommendation", metavar="FILE",
                        help="prove or refute Access Analyzer's recommendation instead of "
                             "REFINED: the output of 'aws accessanalyzer "
                             "get-finding-recommendation' (CREATE_POLICY and DETACH_POLICY "
                             "steps)")
    parser.add_argument("--policy-id", metavar="ID",
                        help="with --aws-recommendation: check only the step whose "
                             "existingPolicyId is this policy ARN (or inline policy name)")


def late_refined(args, extra: list[str]) -> list[str]:
    """With REFINED optional, argparse fills it only from arguments before the first option:
    take `verify ORIGINAL --unused U REFINED`'s REFINED from the leftovers. Returns the rest."""
    if args.refined is None and extra and not extra[0].startswith("-"):
        args.refined = extra.pop(0)
    return extra


def check_verify_args(args) -> None:
    """Exactly one of REFINED and --aws-recommendation; --policy-id only with the latter."""
    recommended = getattr(args, "aws_recommendation", None)
    if (args.refined is None) == (recommended is None):
        raise UsageError("verify: give either REFINED or --aws-recommendation FILE "
                         "(exactly one; see --help)")
    if getattr(args, "policy_id", None) and recommended is None:
        raise UsageError("verify: --policy-id needs --aws-recommendation")


def run_verify_recommendation(args, original_policy: Policy, unused, catalog) -> int:
    """Print one line per step; exit 0 when every step holds, 1 when one is refuted, 3 unknown."""
    path = args.aws_recommendation
    rec = recommendation(read_input(path, "get-finding-recommendation"), path)
    for warning in rec.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    results = verify_recommendation(original_policy, rec, unused, catalog, args.timeout,
                                    args.policy_id)
    for item in results:
        print(describe(item, catalog))
    return exit_code(results)

