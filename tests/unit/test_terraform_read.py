"""Reading Terraform: the policies of each HCL form with their places, addresses, kinds and
holders; expressions kept opaque outside actions and refused inside them; bad input as one
line with its place."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES
from verify_refine.errors import InputError, UsageError
from verify_refine.iac import terraform

pytest.importorskip("tree_sitter_hcl")

TF = FIXTURES / "iac" / "terraform"


def policies(path) -> dict:
    return {p.address: p for s in terraform.read_folder(str(path)) for p in s.policies}


def refusals(path) -> dict:
    return {r.address: r for s in terraform.read_folder(str(path)) for r in s.refusals}


def write(tmp_path, text: str, name: str = "main.tf") -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path / name)


def test_jsonencode_policies_with_addresses_places_kinds_and_holders():
    found = policies(TF / "jsonencode")
    assert sorted(found) == ["aws_iam_policy.shared", "aws_iam_role.app.inline_policy[0]",
                             "aws_iam_role_policy.app"]
    inline = found["aws_iam_role_policy.app"]
    assert (inline.kind, inline.form, inline.holders) == ("role-inline", "terraform-jsonencode",
                                                         ["aws_iam_role.app"])
    assert str(inline.place).endswith("jsonencode/main.tf:36:12")
    statements = inline.document["Statement"]
    # Bare and quoted keys alike; expressions outside actions are opaque strings.
    assert statements[0]["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    assert statements[0]["Resource"] == "${aws_s3_bucket.data.arn}/*"
    assert statements[1]["Resource"] == "${aws_s3_bucket.data.arn}"
    assert statements[1]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "${var.region}"}}
    assert [s.key for s in inline.statements] == ["Action", "Action", "NotAction"]
    assert [s.value.place.line for s in inline.statements] == [42, 52, 61]
    # A managed policy is held by the role an attachment names.
    assert found["aws_iam_policy.shared"].holders == ["aws_iam_role.app"]
    assert found["aws_iam_policy.shared"].kind == "managed"
    assert found["aws_iam_role.app.inline_policy[0]"].holders == ["aws_iam_role.app"]


def test_the_trust_policy_document_is_not_an_identity_policy():
    assert "data.aws_iam_policy_document.trust" not in policies(TF / "jsonencode")


def test_heredoc_and_json_string_forms():
    found = policies(TF / "forms")
    heredoc, string = found["aws_iam_user_policy.ci"], found["aws_iam_group_policy.ops"]
    assert (heredoc.form, heredoc.kind, heredoc.holders) == ("terraform-heredoc", "user-inline",
                                                             ["aws_iam_user.ci"])
    assert heredoc.document["Statement"][1]["Resource"] == "arn:aws:s3:::${var.bucket}"
    assert [s.value.place.line for s in heredoc.statements] == [19, 28]
    assert (string.form, string.holders) == ("terraform-string", ["aws_iam_group.ops"])
    assert string.document["Statement"][0]["Action"] == ["ec2:DescribeInstances",
                                                         "ec2:StartInstances"]
    # The place of a value inside an escaped string is its place in the file.
    text = (TF / "forms" / "main.tf").read_text()
    value = string.statements[0].value
    assert text[value.start:value.end].startswith('[\\"ec2:DescribeInstances')


def test_a_policy_document_in_another_file_is_the_policy_with_the_providers_mapping():
    sources = terraform.read_folder(str(TF / "document"))
    assert [s.path.rsplit("/", 1)[1] for s in sources] == ["main.tf", "policies.tf"]
    (document,) = sources[1].policies
    assert document.address == "data.aws_iam_policy_document.app"
    assert (document.form, document.kind) == ("terraform-document", "managed")
    assert document.holders == ["aws_iam_role.app"]  # through managed_policy_arns
    assert document.style["used_by"] == ["aws_iam_policy.app"]
    assert document.document == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
         "Resource": ["${aws_s3_bucket.data.arn}", "${aws_s3_bucket.data.arn}/*"]},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": ["*"],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]}
    assert [str(s.span.place).rsplit("/", 1)[1] for s in document.statements] == [
        "policies.tf:3:3", "policies.tf:13:3"]
    assert [p.address for p in sources[0].principals] == ["aws_iam_role.app"]


def test_a_document_used_by_two_policies_is_one_policy_held_by_both_holders(tmp_path):
    write(tmp_path, """
resource "aws_iam_role" "a" { name = "a" }
resource "aws_iam_user" "u" { name = "u" }
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
resource "aws_iam_role_policy" "a" {
  role   = aws_iam_role.a.name
  policy = data.aws_iam_policy_document.d.json
}
resource "aws_iam_user_policy" "u" {
  user   = "u"
  policy = data.aws_iam_policy_document.d.minified_json
}
""")
    (document,) = policies(tmp_path).values()
    assert document.holders == ["aws_iam_role.a", "aws_iam_user.u"]
    assert document.kind == "user-inline"  # the smallest size quota of its users
    assert document.style["used_by"] == ["aws_iam_role_policy.a", "aws_iam_user_policy.u"]
    assert document.document["Statement"][0]["Principal"] == "*"


REFUSED = [
    ('policy = jsonencode({ Statement = [{ Effect = "Allow", Action = var.actions, '
     'Resource = "*" }] })', "expression in Action"),
    ('policy = jsonencode({ Statement = [{ Effect = "Allow", Action = concat(["a:b"], '
     'var.x), Resource = "*" }] })', "expression in Action"),
    ('policy = jsonencode({ Statement = [{ Effect = "Allow", Action = [for a in var.x : a], '
     'Resource = "*" }] })', "expression in Action"),
    ('policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:${var.verb}"], '
     'Resource = "*" }] })', "expression in Action"),
    ('policy = jsonencode({ Statement = [{ Effect = "Allow", NotAction = [local.one], '
     'Resource = "*" }] })', "expression in NotAction"),
    ('policy = "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": '
     '\\"s3:${var.verb}\\", \\"Resource\\": \\"*\\"}]}"', "interpolation in Action"),
    ('policy = <<-EOT\n    {"Statement": [{"Effect": "Allow", "Action": ["s3:${var.verb}"], '
     '"Resource": "*"}]}\n  EOT', "interpolation in Action"),
    ('policy = <<EOT\n{"Statement": [{"Effect": "Allow", "Action": "%{if var.x}s3:*%{endif}"}]}'
     '\nEOT', "interpolation in Action"),
    ("policy = var.policy", "built from an expression"),
    ('policy = file("policy.json")', "built from an expression"),
    ('policy = <<EOT\n{"Statement": [{"Effect": "Allow", "Action": ${jsonencode(var.a)}}]}\n'
     'EOT', "not JSON"),
    ('policy = jsonencode({ Statement = [{ Effect = "Allow", Resource = "*" }] })',
     "no Action or NotAction"),
    ("policy = jsonencode(merge(local.base, { Version = \"2012-10-17\" }))",
     "the policy is built from an expression (\"${merge("),
    ("policy = jsonencode({ Statement = [for s in var.s : { Action = s }] })",
     "Statement built from an expression (\"${[for s in var.s"),
    ('policy = jsonencode({ Statement = [local.statement, { Action = "s3:*" }] })',
     "a statement built from an expression (\"${local.statement}\")"),
]


@pytest.mark.parametrize("policy, reason", REFUSED)
def test_an_expression_where_actions_are_refuses_that_policy_and_the_others_go_on(
        tmp_path, policy, reason):
    path = write(tmp_path, f"""resource "aws_iam_policy" "good" {{
  policy = jsonencode({{ Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}] }})
}}

resource "aws_iam_policy" "bad" {{
  {policy}
}}
""")
    assert list(policies(tmp_path)) == ["aws_iam_policy.good"]
    refusal = refusals(tmp_path)["aws_iam_policy.bad"]
    assert reason in refusal.message
    assert refusal.place.path == path and refusal.place.line >= 6
    assert str(refusal).startswith(f"{path}:{refusal.place.line}:{refusal.place.column}: "
                                   "aws_iam_policy.bad: ")


DOCUMENT_REFUSED = [
    ('statement {\n    actions = var.actions\n  }', "built from an expression", 8),
    ('statement {\n    actions = ["s3:${var.verb}"]\n  }', "expression in Action", 8),
    ('statement {\n    not_actions = concat(["a:b"], ["c:d"])\n  }', "built from an expression", 8),
    ('dynamic "statement" {\n    for_each = var.s\n    content {}\n  }', "dynamic block", 7),
    ('source_policy_documents = [var.doc]', "merges in policies", 7),
    ('statement {\n    effect = var.effect\n    actions = ["s3:*"]\n  }', "expression in effect",
     8),
]


@pytest.mark.parametrize("body, reason, line", DOCUMENT_REFUSED)
def test_a_policy_document_built_from_expressions_is_refused_at_its_place(
        tmp_path, body, reason, line):
    path = write(tmp_path, f"""resource "aws_iam_policy" "p" {{
  policy = data.aws_iam_policy_document.d.json
}}

data "aws_iam_policy_document" "d" {{
  # how the statements are built
  {body}
}}
""")
    (refusal,) = refusals(tmp_path).values()
    assert refusal.address == "data.aws_iam_policy_document.d"
    assert reason in refusal.message
    assert (refusal.place.path, refusal.place.line) == (path, line)


BAD = [
    ('resource "aws_iam_policy" "p" {\n  policy = jsonencode({\n}\n', 4,
     'hcl syntax error: missing ")"'),
    ('resource "aws_iam_policy" "p" {\n  policy = [1,\n}\n', 2, "hcl syntax error"),
    ('resource "aws_iam_policy" "p" {\n  policy = data.aws_iam_policy_document.nope.json\n}\n',
     2, "`data.aws_iam_policy_document.nope`, which is not declared"),
    ('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n', None, "no iam policy found"),
]


@pytest.mark.parametrize("text, line, message", BAD)
def test_bad_input_is_one_line_with_its_place(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        terraform.read_folder(str(tmp_path))
    error = raised.value
    assert message in error.message and "\n" not in str(error)
    if line is None:
        assert str(error).startswith(f"{tmp_path}: ")
    else:
        assert (error.source, error.line) == (path, line)
        assert str(error).startswith(f"{path}:{line}:{error.column}: ")


def test_a_folder_without_tf_files_and_a_missing_path_are_bad_input(tmp_path):
    with pytest.raises(InputError, match="no .tf file"):
        terraform.read_folder(str(tmp_path))
    with pytest.raises(InputError, match="no such file"):
        terraform.read_folder(str(tmp_path / "nope.tf"))


def test_columns_count_characters_not_bytes(tmp_path):
    line = ('  policy = jsonencode({ Statement = [{ Sid = "ééé", Effect = "Allow", '
            'Action = "s3:GetObject", Resource = "é" }] })')
    write(tmp_path, 'resource "aws_iam_policy" "p" {\n  description = "été"  # ünïcode\n'
          + line + '\n}\n')
    (policy,) = policies(tmp_path).values()
    assert str(policy.place).endswith(":3:12")
    value = policy.statements[0].value
    assert value.place.column == line.index('"s3:GetObject"') + 1
    assert (tmp_path / "main.tf").read_text()[value.start:value.end] == '"s3:GetObject"'


# --- generated members of the classes above ------------------------------------------------------

# An expression, and how far into it the refusal points (at the item of a list, else at it).
EXPRESSIONS = st.sampled_from([
    ("var.actions", 0), ("local.actions", 0), ('concat(["s3:GetObject"], var.more)', 0),
    ("[for a in var.verbs : \"s3:${a}\"]", 0), ('["s3:${var.verb}"]', 1),
    ('["s3:GetObject", var.one]', 17), ('var.read ? ["s3:GetObject"] : ["s3:*"]', 0),
    ("module.x.actions", 0), ('concat(\n        ["s3:GetObject"],\n        var.more\n      )', 0), ('split(",", var.list)', 0), ("flatten([var.a, var.b])", 0),
    ('"s3:%{if var.x}Get%{endif}Object"', 0)])
PADDING = st.sampled_from(["", " ", "  # ééé\n      ", " /* ü */ ", "\n        "])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=EXPRESSIONS, padding=PADDING, key=st.sampled_from(["Action", "NotAction"]),
       in_document=st.booleans(), before=st.integers(0, 2))
def test_generated_expressions_in_actions_are_refused_where_they_stand(
        tmp_path_factory, expression, padding, key, in_document, before):
    expression, into = expression
    good = ('resource "aws_iam_policy" "good{n}" {{\n  policy = jsonencode({{ Statement = [{{ '
            'Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}] }})\n}}\n')
    if in_document:
        hcl_key = {"Action": "actions", "NotAction": "not_actions"}[key]
        bad = ('resource "aws_iam_policy" "bad" {\n  policy = data.aws_iam_policy_document.d.json'
               f'\n}}\ndata "aws_iam_policy_document" "d" {{\n  statement {{\n    {hcl_key} ='
               f'{padding}{expression}\n  }}\n}}\n')
        address = "data.aws_iam_policy_document.d"
    else:
        bad = ('resource "aws_iam_policy" "bad" {\n  policy = jsonencode({\n    Statement = [{\n'
               f'      Effect = "Allow"\n      {key} ={padding}{expression}\n      Resource = "*"'
               '\n    }]\n  })\n}\n')
        address = "aws_iam_policy.bad"
    text = "".join(good.format(n=n) for n in range(before)) + bad + good.format(n=9)
    folder = tmp_path_factory.mktemp("tf")
    (folder / "main.tf").write_text(text, encoding="utf-8")
    assert sorted(policies(folder)) == sorted(f"aws_iam_policy.good{n}" for n in
                                             [*range(before), 9])
    refusal = refusals(folder)[address]
    offset = text.index(padding + expression, text.index("bad")) + len(padding) + into
    line_start = text.rfind("\n", 0, offset) + 1
    assert (refusal.place.line, refusal.place.column) == (text.count("\n", 0, offset) + 1,
                                                          offset - line_start + 1)
    assert str(refusal).startswith(f"{folder / 'main.tf'}:{refusal.place.line}:")
    assert "\n" not in str(refusal)


@pytest.mark.parametrize("other_use, line", [
    ('resource "aws_s3_bucket_policy" "b" {\n  policy = data.aws_iam_policy_document.d.json\n}',
     "10:12"),
    ('resource "aws_iam_role" "r" {\n  assume_role_policy = data.aws_iam_policy_document.d.json'
     '\n}', "10:24"),
    ('locals {\n  doc = "${data.aws_iam_policy_document.d.json}"\n}', "10:12"),
])
def test_a_document_also_used_outside_identity_policies_is_refused(tmp_path, other_use, line):
    path = write(tmp_path, 'resource "aws_iam_policy" "p" {\n'
                 '  policy = data.aws_iam_policy_document.d.json\n}\n'
                 'data "aws_iam_policy_document" "d" {\n  statement {\n'
                 '    actions = ["s3:GetObject"]\n  }\n}\n' + other_use + "\n")
    (refusal,) = refusals(tmp_path).values()
    assert refusal.address == "data.aws_iam_policy_document.d"
    assert f"also used at {path}:{line}, not as an identity policy" in refusal.message
    assert not policies(tmp_path)


def test_an_address_declared_twice_in_a_folder_is_bad_input(tmp_path):
    write(tmp_path, 'resource "aws_iam_policy" "p" {\n  policy = "{}"\n}\n', "a.tf")
    second = write(tmp_path, '\n\nresource "aws_iam_policy" "p" {\n  policy = "{}"\n}\n', "b.tf")
    with pytest.raises(InputError) as raised:
        terraform.read_folder(str(tmp_path))
    assert str(raised.value) == (f"{second}:3:1: duplicate `aws_iam_policy.p` (first at "
                                 f"{tmp_path / 'a.tf'}:1:1)")


def test_without_the_iac_extra_the_hint_installs_it(tmp_path, monkeypatch):
    write(tmp_path, 'resource "aws_iam_policy" "p" {\n  policy = "{}"\n}\n')
    monkeypatch.setitem(sys.modules, "tree_sitter_hcl", None)  # as if it were not installed
    with pytest.raises(UsageError) as raised:
        terraform.read_folder(str(tmp_path))
    assert str(raised.value) == (
        "reading Terraform needs tree_sitter_hcl, which is not installed: pip install "
        "'tree-sitter-hcl==1.2.0' (or, in a clone of verify-refine, pip install -e '.[iac]')")
    monkeypatch.setitem(sys.modules, "tree_sitter", None)  # a fresh machine: both missing
    with pytest.raises(UsageError) as raised:
        terraform.read_folder(str(tmp_path))
    assert str(raised.value) == (
        "reading Terraform needs tree_sitter and tree_sitter_hcl, which are not installed: pip "
        "install 'tree-sitter>=0.26,<0.27' 'tree-sitter-hcl==1.2.0' (or, in a clone of "
        "verify-refine, pip install -e '.[iac]')")


def test_references_through_count_and_for_each_indexes(tmp_path):
    write(tmp_path, """
resource "aws_iam_role" "r" {
  count = 1
  name  = "r"
}
data "aws_iam_policy_document" "d" {
  count = 1
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/${count.index}"]
  }
}
resource "aws_iam_role_policy" "p" {
  count  = 1
  role   = aws_iam_role.r[0].name
  policy = data.aws_iam_policy_document.d[count.index].json
}
""")
    (document,) = policies(tmp_path).values()
    assert (document.address, document.holders) == ("data.aws_iam_policy_document.d",
                                                     ["aws_iam_role.r"])
    assert document.document["Statement"][0]["Resource"] == ["arn:aws:s3:::b/${count.index}"]
