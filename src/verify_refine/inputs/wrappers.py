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
    return parse_policy(document, label, allow_empty)


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
