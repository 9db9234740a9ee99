"""Terraform HCL: the IAM policies of a .tf file or a folder of them, found with their places,
addresses and holders (read_folder), and written back in place (rewrite)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_input
from ..inputs.jsontext import decode, quote
from .hcl_tree import (
    HclFile,
    attributes,
    block_labels,
    block_type,
    blocks,
    body_of,
    inner,
    parse_hcl,
    references,
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
    resources, documents = _declarations(parsed)
    holders = Holders(resources)
    for principal in holders.principals:
        sources[principal.place.path].principals.append(principal)
    users: dict[str, list[tuple[str, list[str], str]]] = {}  # kind, holders, address
    for kind, name, block, hcl in resources:
        for address, policy_kind, node, held_by in _policies_of(hcl, kind, name, block, holders):
            found = _read_policy(hcl, address, policy_kind, node, held_by, documents, users)
            _add(sources[hcl.path], found)
    other_uses = _other_uses(parsed, users)
    for address, uses in users.items():
        block, hcl = documents[address]
        if address in other_uses:
            where = other_uses[address]
            _add(sources[hcl.path], Refusal(address, hcl.place(hcl.start(block)), (
                f"also used at {where}, not as an identity policy: refining it would change "
                "that use too")))
            continue
        _add(sources[hcl.path], _document_policy(address, uses, documents))
    if not any(s.policies or s.refusals for s in sources.values()):
        raise InputError("no iam policy found (aws_iam_policy, aws_iam_role_policy, "
                         "aws_iam_user_policy, aws_iam_group_policy, aws_iam_role "
                         "inline_policy)", path)
    for source in sources.values():  # in the order of the file
        source.policies.sort(key=lambda p: (p.place.line, p.place.column))
        source.refusals.sort(key=lambda r: (r.place.line, r.place.column))
    return list(sources.values())


def _declarations(parsed: list[HclFile]) -> tuple[list, dict]:
    """The resources [(type, name, block, hcl)] and the policy documents {address: (block,
    hcl)} of a folder; an address declared twice is bad input, as Terraform has it."""
    resources, documents, seen = [], {}, {}
    for hcl in parsed:
        for block in blocks(body_of(hcl.root)):
            labels = block_labels(hcl, block)
            if block_type(block) not in ("resource", "data") or len(labels) != 2:
                continue
            address = ".".join(labels) if block_type(block) == "resource" else \
                "data." + ".".join(labels)
            where = hcl.place(hcl.start(block))
            if address in seen:
                raise InputError(f"duplicate `{address}` (first at {seen[address]})",
                                 hcl.path, where.line, where.column)
            seen[address] = where
            if block_type(block) == "resource":
                resources.append((labels[0], labels[1], block, hcl))
            elif is_policy_document(hcl, block):
                documents[address] = (block, hcl)
    return resources, documents


def _other_uses(parsed: list[HclFile], users: dict) -> dict:
    """Documents used by identity policies that are also referenced elsewhere (a trust or
    bucket policy, another document, a local): address -> the place of that other use."""
    found = {}
    for hcl in parsed:
        for names, node in references(hcl, "data", "aws_iam_policy_document"):
            address = ".".join(names[:3])
            if address in users and not _is_identity_policy(hcl, node):
                found.setdefault(address, hcl.place(hcl.start(node)))
    return found


def _is_identity_policy(hcl: HclFile, node) -> bool:
    """Whether a reference is the whole `policy` of an IAM policy resource or inline_policy."""
    attribute = node.parent
    if attribute is None or attribute.type != "attribute" or \
            attribute.children[0].text != b"policy":
        return False
    block = attribute.parent.parent
    if block_type(block) == "inline_policy":
        block = block.parent.parent
        return block.type == "block" and block_labels(hcl, block)[:1] == ["aws_iam_role"]
    return block_type(block) == "resource" and block_labels(hcl, block)[:1] in (
        [kind] for kind in POLICY_KINDS)


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
    raise NotReadable(f"the policy is built from an expression ({quote(hcl.source(node))}), "
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
