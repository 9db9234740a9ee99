"""Terraform HCL: the IAM policies of a .tf file or a folder of them, found with their places,
addresses and holders (read_folder), and written back in place (rewrite)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_input
from ..inputs.jsontext import decode
from .hcl_tree import (
    HclFile,
    attributes,
    block_labels,
    block_type,
    blocks,
    body_of,
    inner,
    parse_hcl,
    traversal,
)
from .model import (
    GROUP_INLINE,
    MANAGED,
    ROLE_INLINE,
    USER_INLINE,
    Edit,
    FoundPolicy,
    Refusal,
    Source,
)
from .tf_document import is_policy_document, read_document
from .tf_holders import Holders
from .tf_policy import statements_of
from .tf_values import NotReadable, from_hcl, from_json_text, heredoc_text, quoted_text
from .tf_write import rewritten

POLICY_KINDS = {"aws_iam_policy": MANAGED, "aws_iam_role_policy": ROLE_INLINE,
                "aws_iam_user_policy": USER_INLINE, "aws_iam_group_policy": GROUP_INLINE}
# The smallest IAM size quota first: a document used by several policies is held to it.
_STRICTEST_FIRST = (USER_INLINE, GROUP_INLINE, MANAGED, ROLE_INLINE)
DOCUMENT = "data.aws_iam_policy_document"


def read_folder(path: str) -> list[Source]:
    """One Source per .tf file of path (a .tf file, or a folder of them, not its subfolders);
    a policy document used from another file of the folder is resolved across files."""
    files = _tf_files(path)
    parsed = [parse_hcl(name, decode(read_input(name, "terraform"), name)) for name in files]
    sources = {hcl.path: Source(hcl.path, hcl.text) for hcl in parsed}
    resources, documents = [], {}
    for hcl in parsed:
        for block in blocks(body_of(hcl.root)):
            labels = block_labels(hcl, block)
            if block_type(block) == "resource" and len(labels) == 2:
                resources.append((labels[0], labels[1], block, hcl))
            elif is_policy_document(hcl, block) and len(labels) == 2:
                documents[f"{DOCUMENT}.{labels[1]}"] = (block, hcl)
    holders = Holders(resources)
    for principal in holders.principals:
        sources[principal.place.path].principals.append(principal)
    users: dict[str, list[tuple[str, list[str]]]] = {}
    for kind, name, block, hcl in resources:
        for address, policy_kind, node, held_by in _policies_of(hcl, kind, name, block, holders):
            found = _read_policy(hcl, address, policy_kind, node, held_by, documents, users)
            _add(sources[hcl.path], found)
    for address, uses in users.items():
        _add(sources[documents[address][1].path], _document_policy(address, uses, documents))
    if not any(s.policies or s.refusals for s in sources.values()):
        raise InputError("no iam policy found (aws_iam_policy, aws_iam_role_policy, "
                         "aws_iam_user_policy, aws_iam_group_policy, aws_iam_role "
                         "inline_policy)", path)
    return list(sources.values())


def _tf_files(path: str) -> list[str]:
    folder = Path(path)
    if folder.is_dir():
        files = sorted(str(p) for p in folder.glob("*.tf") if p.is_file())
        if not files:
            raise InputError("no .tf file in this folder", path)
        return files
    if not folder.exists():
        raise InputError("no such file or folder", path)
    return [path]


def _policies_of(hcl: HclFile, kind: str, name: str, block, holders: Holders):
    """(address, kind, policy expression node, holders) of each policy a resource carries."""
    arguments = attributes(body_of(block))
    if kind in POLICY_KINDS and "policy" in arguments:
        held_by = (holders.attached.get(f"{kind}.{name}", []) if kind == "aws_iam_policy"
                   else holders.inline_holder(hcl, kind, block))
        yield f"{kind}.{name}", POLICY_KINDS[kind], arguments["policy"], held_by
    if kind == "aws_iam_role":
        for index, inline in enumerate(blocks(body_of(block), "inline_policy")):
            policy = attributes(body_of(inline)).get("policy")
            if policy is not None:
                yield (f"{kind}.{name}.inline_policy[{index}]", ROLE_INLINE, policy,
                       [f"{kind}.{name}"])


def _read_policy(hcl: HclFile, address: str, kind: str, node, held_by: list[str],
                 documents: dict, users: dict) -> FoundPolicy | Refusal | None:
    """The policy a `policy` argument gives, a Refusal, or None when it names a policy
    document (recorded in users: the document is read once, for all that use it)."""
    names = traversal(node)
    if names and len(names) == 4 and names[:2] == DOCUMENT.split(".") and \
            names[3] in ("json", "minified_json"):
        document = f"{DOCUMENT}.{names[2]}"
        if document not in documents:
            where = hcl.place(hcl.start(node))
            raise InputError(f"`{address}` uses `{document}`, which is not declared in this "
                             "folder", hcl.path, where.line, where.column)
        users.setdefault(document, []).append((kind, held_by, address))
        return None
    try:
        tree, form = _policy_tree(hcl, node)
        found, style = statements_of(hcl, tree)
    except NotReadable as problem:
        return Refusal(address, hcl.place(problem.offset), problem.message)
    return FoundPolicy(hcl.path, address, hcl.place(hcl.start(node)), kind, tree.value, found,
                       form, list(held_by), style)


def _policy_tree(hcl: HclFile, node):
    """The policy tree of a `policy` value and its form; NotReadable for anything else."""
    core = inner(node)
    if core.type == "function_call" and hcl.source(core.children[0]) == "jsonencode":
        arguments = next((c for c in core.children if c.type == "function_arguments"), None)
        values = [c for c in arguments.children if c.type == "expression"] if arguments else []
        if len(values) == 1:
            return from_hcl(hcl, values[0]), "terraform-jsonencode"
    heredoc = heredoc_text(hcl, node)
    if heredoc is not None:
        return from_json_text(hcl.path, *heredoc), "terraform-heredoc"
    quoted = quoted_text(hcl, node)
    if quoted is not None:
        return from_json_text(hcl.path, *quoted), "terraform-string"
    raise NotReadable(f"the policy is built from an expression ({hcl.source(node)[:60]}), "
                      "not written in this folder", hcl.start(node))


def _document_policy(address: str, uses: list, documents: dict) -> FoundPolicy | Refusal:
    """The one policy a document is, held by every principal of every policy that uses it."""
    block, hcl = documents[address]
    kinds = {kind for kind, _, _ in uses}
    held_by = list(dict.fromkeys(h for _, hs, _ in uses for h in hs))
    try:
        document, found, style = read_document(hcl, block)
    except NotReadable as problem:
        return Refusal(address, hcl.place(problem.offset), problem.message)
    style["used_by"] = [user for _, _, user in uses]
    return FoundPolicy(hcl.path, address, hcl.place(hcl.start(block)),
                       next(k for k in _STRICTEST_FIRST if k in kinds), document, found,
                       "terraform-document", held_by, style)


def _add(source: Source, found: FoundPolicy | Refusal | None) -> None:
    if isinstance(found, FoundPolicy):
        source.policies.append(found)
    elif isinstance(found, Refusal):
        source.refusals.append(found)


def rewrite(source: Source, policy: FoundPolicy, edit: Edit) -> str:
    """The source text with only the changed action lists (and removed statements) replaced,
    in the source's own style; every other character stays as it was."""
    return rewritten(source, policy, edit)
