"""Policy documents as AWS prints them: bare, or wrapped by `aws iam get-policy-version`,
`get-role-policy` and the like (the document an object or URL-encoded), and other kinds of file
given where a policy is expected, named with the command that reads them."""

from __future__ import annotations

import urllib.parse

from ..errors import InputError
from .jsontext import decode, parse_tree
from .model import Policy
from .policy import parse_policy

# Top-level key of a wrapper -> the keys leading to the document inside it.
_WRAPPERS = {"PolicyVersion": ("PolicyVersion", "Document"),  # get-policy-version
             "PolicyDocument": ("PolicyDocument",)}  # get-role-policy, get-user-policy, ...


def policy_document_bytes(data: bytes, source: str) -> bytes:
    """The bare policy document in data: data itself, or the Document of an `aws iam` wrapper."""
    return _unwrap(data, source)[0]


def load_policy(data: bytes, source: str, allow_empty: bool = False) -> Policy:
    """parse_policy for a bare document or an `aws iam` wrapper. A document held in a string is
    named `FILE (Key.Path, URL-decoded)` in messages: its lines and columns are those of the
    string's text. An object document keeps the file's own lines and columns."""
    document, label = _unwrap(data, source)
    try:
        return parse_policy(document, label, allow_empty)
    except InputError:
        other = _other_kind(data, source)
        if other is None:
            raise
        raise InputError(other, source) from None


# Files of other kinds the tool knows: (what marks one, what it is, what reads it).
_OTHER_KINDS = (
    (lambda v: isinstance(v, dict) and {"RoleDetailList", "UserDetailList", "GroupDetailList"}
     & set(v), "'aws iam get-account-authorization-details' output (every policy of an "
     "account)", "`verify-refine batch AUTH.json --findings DIR -o OUTDIR` refines them all"),
    (lambda v: isinstance(v, dict) and ("AWSTemplateFormatVersion" in v or isinstance(
        v.get("Resources"), dict)), "a CloudFormation template",
     "give the policy document itself (a statement list under PolicyDocument)"),
    (lambda v: isinstance(v, dict) and "format_version" in v and (
        "terraform_version" in v or "planned_values" in v or "resource_changes" in v),
     "a Terraform plan (terraform show -json)", "give the policy document itself"),
    (lambda v: isinstance(v, dict) and ("findingDetails" in v or "findingType" in v),
     "Access Analyzer findings (get-finding-v2 output)", "give it with --unused"),
    (lambda v: isinstance(v, dict) and "findings" in v and isinstance(v["findings"], list),
     "Access Analyzer's list-findings-v2 output", "give each finding (get-finding-v2) with "
     "--unused"),
    (lambda v: isinstance(v, dict) and "recommendedSteps" in v,
     "Access Analyzer's recommendation (get-finding-recommendation output)",
     "`verify-refine verify ORIGINAL --aws-recommendation FILE` proves or refutes it"),
    (lambda v: isinstance(v, dict) and v.get("format") == "verify-refine/certificate",
     "a verify-refine certificate", "`verify-refine check CERT` re-checks it"),
    (lambda v: isinstance(v, list) and v and all(
        isinstance(x, str) or isinstance(x, dict) and "serviceNamespace" in x for x in v),
     "a list of unused actions (findings)", "give it with --unused"),
)


def _other_kind(data: bytes, source: str) -> str | None:
    """What a file that is not a policy is, and the command that reads it, when it is one of
    the kinds the tool knows."""
    try:
        value = parse_tree(data, source).value
    except InputError:
        return None
    for marks, what, hint in _OTHER_KINDS:
        if marks(value):
            return f"this is {what}, not a policy: {hint}"
    return None


def _unwrap(data: bytes, source: str) -> tuple[bytes, str]:
    if not any(f'"{key}"'.encode() in data for key in (*_WRAPPERS, "Policy")):
        return data, source  # a bare document: parse_policy reads it as it is
    root = parse_tree(data, source)
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
