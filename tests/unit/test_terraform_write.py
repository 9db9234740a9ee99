"""Writing Terraform back in place: only the action lists that changed (and emptied statements
with their syntax) differ, in the source's own style, for every form; the file read back
holds the new lists and everything else as it was."""

from __future__ import annotations

import difflib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES
from verify_refine.errors import UsageError
from verify_refine.iac import terraform, terraform_plan

pytest.importorskip("tree_sitter_hcl")

TF = FIXTURES / "iac" / "terraform"


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """The lines a unified diff removes and adds."""
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))
    removed = [line[1:] for line in diff[2:] if line.startswith("-")]
    added = [line[1:] for line in diff[2:] if line.startswith("+")]
    return removed, added


def rewrite(folder, address: str, edit: dict) -> tuple[str, str]:
    for source in terraform.read_folder(str(folder)):
        policy = source.policy(address)
        if policy is not None:
            return source.text, terraform.rewrite(source, policy, edit)
    raise AssertionError(f"{address} not found")


def test_jsonencode_multiline_list_keeps_its_indentation_and_trailing_comma():
    old, new = rewrite(TF / "jsonencode", "aws_iam_role_policy.app",
                       {0: ["s3:GetObject", "s3:DeleteObject"]})
    assert changed_lines(old, new) == (['          "s3:PutObject", # writes too'], [])
    assert '          "s3:GetObject",\n          "s3:DeleteObject",\n        ]' in new


def test_jsonencode_inline_list_and_a_removed_middle_statement_keep_comments():
    old, new = rewrite(TF / "jsonencode", "aws_iam_role_policy.app", {1: None, 2: ["iam:*"]})
    removed, added = changed_lines(old, new)
    assert added == ['        NotAction = ["iam:*"]']
    assert '        Sid      = "Queues"' in removed and "/* the last one */" in new
    assert new.count("// reading objects") == 1 and "# writes too" in new
    (policy,) = [p for s in terraform.read_folder(str(write_beside(new))) for p in s.policies
                 if p.address == "aws_iam_role_policy.app"]
    assert [s.get("Sid") for s in policy.document["Statement"]] == ["Read", None]


def write_beside(text: str):
    """A folder holding main.tf with text, for reading a rewritten file back."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    (folder / "main.tf").write_text(text, encoding="utf-8")
    return folder


def test_a_scalar_action_stays_a_scalar_and_becomes_a_list_when_it_widens():
    old, new = rewrite(TF / "jsonencode", "aws_iam_role_policy.app",
                       {1: ["sqs:SendMessage", "sqs:ReceiveMessage"]})
    assert changed_lines(old, new) == (['        Action   = "sqs:*"'], [
        '        Action   = ["sqs:SendMessage", "sqs:ReceiveMessage"]'])
    old, new = rewrite(TF / "forms", "aws_iam_user_policy.ci", {1: ["s3:ListBucketV2"]})
    assert changed_lines(old, new) == (['          "Action": "s3:ListBucket",'],
                                       ['          "Action": "s3:ListBucketV2",'])


def test_heredoc_json_list_and_removed_last_statement():
    old, new = rewrite(TF / "forms", "aws_iam_user_policy.ci",
                       {0: ["ecr:GetAuthorizationToken", "ecr:PutImage"], 1: None})
    removed_statement = old[old.index("},\n        {"):old.index("}\n      ]")]
    expected = old.replace('            "ecr:BatchGetImage",\n', "").replace(
        removed_statement, "")
    assert new == expected
    assert json.loads(new.split("<<-EOF\n")[1].split("  EOF")[0])["Statement"] == [
        {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:PutImage"],
         "Resource": "*"}]


def test_plain_json_string_is_escaped_as_the_string_was():
    old, new = rewrite(TF / "forms", "aws_iam_group_policy.ops", {0: ['ec2:Describe"Odd']})
    removed, added = changed_lines(old, new)
    assert len(removed) == len(added) == 1
    assert '\\"Action\\": [\\"ec2:Describe\\\\\\"Odd\\"]' in added[0]
    (policy,) = [p for s in terraform.read_folder(str(write_beside(new))) for p in s.policies
                 if p.address == "aws_iam_group_policy.ops"]
    assert policy.document["Statement"][0]["Action"] == ['ec2:Describe"Odd']


def test_policy_document_actions_list_and_a_removed_statement_block():
    old, new = rewrite(TF / "document", "data.aws_iam_policy_document.app",
                       {0: ["s3:GetObject"], 1: None})
    removed, added = changed_lines(old, new)
    assert added == []
    assert removed[:2] == ['      "s3:ListBucket",', '      "s3:PutObject",']
    assert "  statement {" in removed[2:] and 'values   = ["s3.us-east-1.amazonaws.com"]' not in new
    assert new.startswith("# Documents used by the resources in main.tf.\n")


def test_an_unchanged_list_is_not_rewritten_and_a_plan_is_read_only():
    old, new = rewrite(TF / "jsonencode", "aws_iam_role_policy.app",
                       {0: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], 1: ["sqs:*"]})
    assert new == old
    path = TF / "plan" / "plan.json"
    source = terraform_plan.read(str(path), path.read_text())
    with pytest.raises(UsageError, match="read only"):
        terraform.rewrite(source, source.policies[0], {0: ["s3:GetObject"]})


# --- generated HCL -------------------------------------------------------------------------------

ACTIONS = st.builds(lambda s, v: f"{s}:{v}", st.sampled_from(["s3", "ec2", "sqs", "kms"]),
                    st.sampled_from(["Get*", "PutObject", "List", "Describe*", "Send",
                                     "Decrypt"]))
STATEMENT = st.fixed_dictionaries({
    "key": st.sampled_from(["Action", "NotAction"]),
    "actions": st.lists(ACTIONS, min_size=1, max_size=4, unique=True),
    "scalar": st.booleans(),
    "resource": st.sampled_from(['"*"', "aws_s3_bucket.b.arn", '"${var.arn}/*"']),
})
STYLE = st.fixed_dictionaries({"multiline": st.booleans(), "trailing": st.booleans(),
                               "indent": st.sampled_from(["  ", "    "]),
                               "comment": st.sampled_from(["", "# note", "// note"])})
FORMS = ["jsonencode", "heredoc", "string", "document"]
HCL_KEYS = {"Action": "actions", "NotAction": "not_actions"}


def hcl_list(items: list[str], style: dict, depth: str) -> str:
    if not style["multiline"]:
        return "[" + ", ".join(items) + ("," if style["trailing"] else "") + "]"
    inner = depth + style["indent"]
    return ("[\n" + ",\n".join(inner + i for i in items) + ("," if style["trailing"] else "")
            + "\n" + depth + "]")


def json_text(statements: list[dict], style: dict) -> str:
    rendered = [{"Effect": "Allow", s["key"]: s["actions"][0] if s["scalar"] and
                 len(s["actions"]) == 1 else s["actions"],
                 "Resource": json.loads(s["resource"]) if s["resource"].startswith('"')
                 else "${" + s["resource"] + "}"} for s in statements]
    document = {"Version": "2012-10-17", "Statement": rendered}
    return json.dumps(document, indent=len(style["indent"]) if style["multiline"] else None)


def policy_hcl(n: int, form: str, statements: list[dict], style: dict) -> str:
    """A resource (and for the document form, its data block) holding the statements."""
    comment = f"  {style['comment']}\n" if style["comment"] else ""
    if form == "document":
        blocks = "\n".join(
            f"{comment}  statement {{\n    {HCL_KEYS[s['key']]} = "
            f"{hcl_list([json.dumps(a) for a in s['actions']], style, '    ')}\n"
            f"    resources = [{s['resource']}]\n  }}\n" for s in statements)
        return (f'data "aws_iam_policy_document" "d{n}" {{\n{blocks}}}\n\n'
                f'resource "aws_iam_policy" "p{n}" {{\n'
                f"  policy = data.aws_iam_policy_document.d{n}.json\n}}\n\n")
    if form == "jsonencode":
        objects = ",\n".join(
            f"{comment}    {{\n      Effect = \"Allow\"\n      {s['key']} = "
            + (json.dumps(s["actions"][0]) if s["scalar"] and len(s["actions"]) == 1 else
               hcl_list([json.dumps(a) for a in s["actions"]], style, "      "))
            + f"\n      \"Resource\" = {s['resource']}\n    }}" for s in statements)
        value = (f"jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [\n{objects}"
                 + ("," if style["trailing"] else "") + "\n    ]\n  })")
    elif form == "heredoc":
        value = "<<-EOT\n" + json_text(statements, style).replace("${", "$${") + "\n  EOT"
    else:
        value = json.dumps(json_text(statements, style)).replace("${", "$${")
    return f'resource "aws_iam_policy" "p{n}" {{\n  # policy {n}\n  policy = {value}\n}}\n\n'


@st.composite
def files_and_edits(draw):
    count = draw(st.integers(1, 3))
    parts, edits = [], []
    for n in range(count):
        form = draw(st.sampled_from(FORMS))
        statements = draw(st.lists(STATEMENT, min_size=1, max_size=4))
        for index, statement in enumerate(statements):  # no two statements alike
            statement["actions"] = [f"{a}{n}{index}" for a in statement["actions"]]
        parts.append(policy_hcl(n, form, statements, draw(STYLE)))
        edit = {}
        for index, statement in enumerate(statements):
            choice = draw(st.sampled_from(["keep", "narrow", "remove"]))
            if choice == "narrow":
                edit[index] = draw(st.lists(st.sampled_from(statement["actions"]), min_size=1,
                                            unique=True))
            elif choice == "remove" and len(edit) + 1 < len(statements):
                edit[index] = None
        address = f"data.aws_iam_policy_document.d{n}" if form == "document" else \
            f"aws_iam_policy.p{n}"
        edits.append((address, edit, statements))
    return "".join(parts), edits


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files_and_edits())
def test_generated_hcl_diff_touches_only_the_edited_statements(tmp_path_factory, case):
    text, edits = case
    folder = tmp_path_factory.mktemp("tf")
    (folder / "main.tf").write_text(text, encoding="utf-8")
    (source,) = terraform.read_folder(str(folder))
    assert not source.refusals
    for address, edit, statements in edits:
        policy = source.policy(address)
        new = terraform.rewrite(source, policy, edit)
        # Every character outside the edited regions is kept, in order.
        frame = ""
        position = 0
        for region_start, region_end in edited_regions(text, policy, edit):
            frame += re.escape(text[position:region_start]) + ".*?"
            position = region_end
        assert re.fullmatch(frame + re.escape(text[position:]), new, re.S)
        (after,) = terraform.read_folder(str(write_beside(new)))
        reread = after.policy(address)
        assert reread.document == edited(policy.document, edit)
        others = [p.document for p in after.policies if p.address != address]
        assert others == [p.document for p in source.policies if p.address != address]


def edited(document: dict, edit: dict) -> dict:
    """The document an edit should give: new lists (one action alone where the source had one
    string), emptied statements gone."""
    statements = []
    for index, statement in enumerate(document["Statement"]):
        new = edit.get(index, "unchanged")
        if new is None:
            continue
        statement = dict(statement)
        key = "Action" if "Action" in statement else "NotAction"
        old = statement[key]
        if new != "unchanged" and new != ([old] if isinstance(old, str) else old):
            statement[key] = new[0] if isinstance(old, str) and len(new) == 1 else new
        statements.append(statement)
    return {**document, "Statement": statements}


def edited_regions(text: str, policy, edit: dict) -> list[tuple[int, int]]:
    """The [start, end) regions of text an edit may change, merged and in order: each edited
    list, and each removed statement with the syntax between it and its neighbours."""
    spans = [(s.span.start, s.span.end) for s in policy.statements]
    regions = []
    for index, actions in edit.items():
        if actions is not None:
            value = policy.statements[index].value
            regions.append((value.start, value.end))
            continue
        start = spans[index - 1][1] if index > 0 else text.rfind("\n", 0, spans[index][0]) + 1
        following = text.find("\n", spans[index][1])
        end = spans[index + 1][0] if index + 1 < len(spans) else following + 1
        regions.append((start, max(end, following + 1)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(regions):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
