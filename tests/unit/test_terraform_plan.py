"""Reading `terraform show -json` plans: the policies of the root and child modules by resource
address, at the place of their JSON string in the plan; format 1.x only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES
from verify_refine.errors import InputError
from verify_refine.iac import terraform_plan

PLAN = FIXTURES / "iac" / "terraform" / "plan" / "plan.json"


def read(path, text=None):
    return terraform_plan.read(str(path), PLAN.read_text() if text is None else text)


def test_policies_of_the_root_and_child_modules_with_holders():
    source = read(PLAN)
    found = {p.address: p for p in source.policies}
    assert sorted(found) == ["aws_iam_policy.shared", "aws_iam_role.app.inline_policy[0]",
                             "aws_iam_role_policy.app", "module.ci.aws_iam_user_policy.ci"]
    assert {a: (p.kind, p.form, p.holders) for a, p in found.items()} == {
        "aws_iam_policy.shared": ("managed", "terraform-plan", ["aws_iam_role.app"]),
        "aws_iam_role.app.inline_policy[0]": ("role-inline", "terraform-plan",
                                              ["aws_iam_role.app"]),
        "aws_iam_role_policy.app": ("role-inline", "terraform-plan", ["aws_iam_role.app"]),
        "module.ci.aws_iam_user_policy.ci": ("user-inline", "terraform-plan",
                                             ["module.ci.aws_iam_user.ci"]),
    }
    assert found["aws_iam_policy.shared"].document["Statement"][0]["Action"] == "dynamodb:*"
    lines = PLAN.read_text().splitlines()
    for policy in found.values():  # each place is the policy's JSON string in the plan
        line = lines[policy.place.line - 1]
        assert line[policy.place.column - 1:].startswith('"{\\"Version')
    (refusal,) = source.refusals
    assert refusal.address == "aws_iam_policy.later"
    assert "not known until terraform applies" in refusal.message
    assert [p.name for p in source.principals] == ["app-role", "ci"]


@pytest.mark.parametrize("version, accepted", [("1.0", True), ("1.2", True), ("2.0", False),
                                               ("0.1", False), ("10", False)])
def test_only_format_version_1_is_read(version, accepted):
    text = PLAN.read_text().replace('"format_version": "1.2"', f'"format_version": "{version}"')
    if accepted:
        assert len(read(PLAN, text).policies) == 4
        return
    with pytest.raises(InputError) as raised:
        read(PLAN, text)
    assert str(raised.value) == (f"{PLAN}:2:21: terraform plan format_version \"{version}\" is "
                                 "not supported (this reads 1.x)")


def test_not_a_plan_and_broken_json_are_bad_input_with_their_place():
    with pytest.raises(InputError, match="no format_version"):
        read(PLAN, '{"planned_values": {}}')
    with pytest.raises(InputError, match="no iam policy found"):
        read(PLAN, '{"format_version": "1.0", "planned_values": {"root_module": {}}}')
    with pytest.raises(InputError) as raised:
        read(PLAN, '{"format_version": "1.0", "planned_values": {"root_module": {\n'
             '"resources": [{"address": "a", "type": ["aws_iam_policy"]}]}}}')
    assert str(raised.value) == f'{PLAN}:2:15: a planned resource without a string "type"'

    with pytest.raises(InputError) as raised:
        read(PLAN, '{"format_version": "1.2",\n "planned_values": [}')
    assert (raised.value.line, raised.value.column) == (2, 21)


ACTION = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                 max_size=12).map(lambda s: "svc:" + s)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(ACTION, min_size=1, max_size=3), min_size=1, max_size=3),
       st.booleans())
def test_the_place_of_each_action_list_is_exact_through_the_escapes(tmp_path_factory, lists,
                                                                    ascii_only):
    """Actions with quotes, backslashes, control and non-ASCII characters: the text at each
    statement's value span, read as JSON inside a JSON string, is that statement's list."""
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": a, "Resource": "*"} for a in lists]}
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_iam_policy.p", "type": "aws_iam_policy", "name": "p",
         "values": {"policy": json.dumps(document, ensure_ascii=ascii_only)}}]}}}
    text = json.dumps(plan, ensure_ascii=ascii_only, indent=1)
    (policy,) = read(PLAN, text).policies
    for statement, actions in zip(policy.statements, lists):
        written = text[statement.value.start:statement.value.end]
        assert json.loads(json.loads('"' + written + '"')) == actions
        assert text.split("\n")[statement.value.place.line - 1][
            statement.value.place.column - 1:].startswith(written.split("\n")[0])
