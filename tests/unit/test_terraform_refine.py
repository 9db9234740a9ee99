"""The policy read from Terraform goes through the real refine command and its proof, and the
refined action lists written back in place read back as the very policy that was proved, for
each HCL form; the diff touches only action lines."""

from __future__ import annotations

import difflib
import json

import pytest

from tests.helpers import BLOG_CATALOG, BLOG_POLICY, BLOG_UNUSED, run
from verify_refine.iac import terraform

pytest.importorskip("tree_sitter_hcl")

STATEMENTS = json.loads(BLOG_POLICY.read_text())["Statement"]


def hcl_list(actions: list[str], indent: str) -> str:
    return "[\n" + "".join(f'{indent}  "{a}",\n' for a in actions) + indent + "]"


def tf_text(form: str) -> str:
    """The blog example's policy written in one HCL form, with comments around it."""
    if form == "document":
        blocks = "".join(
            f"  # statement {i}\n  statement {{\n    actions = {hcl_list(s['Action'], '    ')}\n"
            f"    resources = [\"{s['Resource']}\"]\n  }}\n" for i, s in enumerate(STATEMENTS))
        return ('resource "aws_iam_role" "deployer" {\n  name = "deployer"\n}\n\n'
                'data "aws_iam_policy_document" "deployer" {\n' + blocks + "}\n\n"
                'resource "aws_iam_role_policy" "deployer" {\n'
                "  role   = aws_iam_role.deployer.name // by name\n"
                "  policy = data.aws_iam_policy_document.deployer.json\n}\n")
    if form == "jsonencode":
        objects = ",\n".join(
            f"      {{\n        Effect = \"Allow\"\n        Action = "
            f"{hcl_list(s['Action'], '        ')}\n        Resource = \"{s['Resource']}\"\n"
            "      }" for s in STATEMENTS)
        value = ("jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [\n"
                 + objects + "\n    ]\n  })")
    elif form == "heredoc":
        value = "<<EOF\n" + BLOG_POLICY.read_text().rstrip("\n") + "\nEOF"
    else:
        value = json.dumps(json.dumps(json.loads(BLOG_POLICY.read_text())))
    return ('resource "aws_iam_role" "deployer" {\n  name = "deployer"\n}\n\n'
            "# What the deployer may do.\n"
            'resource "aws_iam_role_policy" "deployer" {\n'
            "  role   = aws_iam_role.deployer.id\n"
            f"  policy = {value}\n}}\n")


ADDRESSES = {"document": "data.aws_iam_policy_document.deployer"}


@pytest.mark.parametrize("form", ["jsonencode", "heredoc", "string", "document"])
def test_refined_in_place_reads_back_as_the_proved_policy(tmp_path, capsys, form):
    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / "main.tf").write_text(tf_text(form), encoding="utf-8")
    (source,) = terraform.read_folder(str(folder))
    policy = source.policy(ADDRESSES.get(form, "aws_iam_role_policy.deployer"))
    assert policy.holders == ["aws_iam_role.deployer"]
    extracted = tmp_path / "extracted.json"
    extracted.write_text(json.dumps(policy.document), encoding="utf-8")
    refined_path = tmp_path / "refined.json"
    code, _, err = run(capsys, "refine", extracted, "--unused", BLOG_UNUSED, "--catalog",
                       BLOG_CATALOG, "-o", refined_path)
    assert code == 0, err
    assert "proved: sound" in err
    refined = json.loads(refined_path.read_text())["Statement"]
    assert len(refined) == len(policy.statements)
    edit = {i: statement["Action"] for i, statement in enumerate(refined)}
    new = terraform.rewrite(source, policy, edit)
    (folder / "main.tf").write_text(new, encoding="utf-8")
    (after,) = terraform.read_folder(str(folder))
    reread = after.policy(policy.address)
    # What the file reads back as is the very policy proved (what a certificate hashes).
    assert reread.document == json.loads(refined_path.read_text())
    old_lines = source.text.splitlines()
    action_lines = {line for s in policy.statements for line in
                    range(s.value.place.line - 1,
                          s.value.place.line + source.text.count("\n", s.value.start,
                                                                 s.value.end))}
    matcher = difflib.SequenceMatcher(None, old_lines, new.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            assert set(range(i1, i2)) <= action_lines
