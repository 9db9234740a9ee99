"""The CloudFormation in-place writer over many generated templates (YAML block, flow and scalar
action lists in each quoting style, flow statements, JSON): the text written holds exactly the
edited policies, and the only lines that change are those of the edited action lists and of
the removed statements."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify_refine.iac import cloudformation

ACTIONS = ["s3:GetObject", "s3:Get*", "sqs:SendMessage", "logs:*", "*", "ec2:Describe*",
           "dynamodb:Query", "iam:Pass?ole"]


@st.composite
def statements(draw):
    actions = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4, unique=True))
    return {"actions": actions,
            "scalar": len(actions) == 1 and draw(st.booleans()),
            "action_style": draw(st.sampled_from(["block", "flow"])),
            "quote": draw(st.sampled_from(["", "'", '"'])),
            "flow_statement": draw(st.booleans()),
            "key": draw(st.sampled_from(["Action", "NotAction"])),
            "sid": draw(st.booleans())}


@st.composite
def templates(draw):
    policies = draw(st.lists(st.lists(statements(), min_size=1, max_size=3), min_size=1,
                             max_size=2))
    return draw(st.sampled_from(["yaml", "json"])), policies


def _quoted(text, quote):
    if quote == '"':
        return json.dumps(text)
    if quote == "'" or text.startswith("*"):
        return f"'{text}'"
    return text


def _yaml_statement(stmt, indent, mark):
    pad = " " * indent
    q = stmt["quote"]
    items = [_quoted(a, q) for a in stmt["actions"]]
    if stmt["scalar"]:
        value = items[0]
    elif stmt["action_style"] == "flow" or stmt["flow_statement"]:
        value = "[" + ", ".join(items) + "]"
    else:
        value = "".join(f"\n{pad}    - {item}" for item in items)
    sid = "Sid: S, " if stmt["sid"] else ""
    if stmt["flow_statement"]:
        return (f"{pad}- {{{sid}Effect: Allow, {stmt['key']}: {value}, "
                f"Resource: !Sub \"arn:${{B}}\"}}  # flow {mark}\n")
    sid = f"Sid: S\n{pad}  " if stmt["sid"] else ""
    return (f"{pad}- {sid}Effect: Allow  # keep me {mark}\n{pad}  {stmt['key']}:"
            f"{'' if value.startswith(chr(10)) else ' '}{value}\n"
            f"{pad}  Resource: !GetAtt B.Arn\n")


def yaml_text(policies) -> str:
    out = ["# a generated template\nResources:\n  Role:\n    Type: AWS::IAM::Role\n"
           "    Properties:\n      RoleName: r\n      Policies:\n"]
    for i, stmts in enumerate(policies):
        out.append(f"        - PolicyName: p{i}\n          PolicyDocument:\n"
                   "            Version: '2012-10-17'\n            Statement:\n")
        out += [_yaml_statement(s, 14, f"{i}.{j}") for j, s in enumerate(stmts)]
    return "".join(out) + "  B:\n    Type: AWS::S3::Bucket  # the end\n"


def json_text(policies) -> str:
    def statement(stmt, mark):
        value = stmt["actions"][0] if stmt["scalar"] else stmt["actions"]
        body = {**({"Sid": "S"} if stmt["sid"] else {}), "Effect": "Allow",
                stmt["key"]: value, "Resource": {"Fn::Sub": f"arn:${{B}}/{mark}"}}
        return body
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "r", "Policies": [{"PolicyName": f"p{i}", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [statement(s, f"{i}.{j}")
                                                  for j, s in enumerate(stmts)]}}
            for i, stmts in enumerate(policies)]}}}}
    return json.dumps(template, indent=4)


@st.composite
def edits(draw, policies):
    """Per policy: statement index -> a new list or None (removed); never every statement."""
    out = []
    for stmts in policies:
        edit = {}
        for i in range(len(stmts)):
            choice = draw(st.sampled_from(["keep", "change", "remove"]))
            if choice == "change":
                edit[i] = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4,
                                        unique=True))
            elif choice == "remove":
                edit[i] = None
        if len(stmts) == sum(1 for v in edit.values() if v is None):
            del edit[0]
        out.append(edit)
    return out


def expected_document(document, edit):
    statements = document["Statement"]
    kept = []
    for i, stmt in enumerate(statements):
        if i in edit and edit[i] is None:
            continue
        if i in edit:
            key = "Action" if "Action" in stmt else "NotAction"
            new = edit[i]
            stmt = {**stmt, key: new[0] if isinstance(stmt[key], str) and len(new) == 1
                    else new}
        kept.append(stmt)
    return {**document, "Statement": kept}


def allowed_lines(text, policy, edit) -> set[int]:
    """0-based lines of TEXT that the edit may touch: the edited action values' lines (and the
    key's line, where a scalar becomes a block list), the removed statements' lines, and the
    line where the statement before a removed one ends (the comma that joined them)."""
    lines = set()
    for index, new in edit.items():
        stmt = policy.statements[index]
        span = stmt.span if new is None else stmt.value
        if new is None and index > 0:
            lines.add(text.count("\n", 0, policy.statements[index - 1].span.end))
        first = text.count("\n", 0, span.start)
        last = text.count("\n", 0, max(span.end - 1, span.start))
        lines.update(range(first, last + 1))
    return lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), template=templates())
def test_the_writer_changes_only_the_edited_action_lists_and_removed_statements(data, template):
    form, policies = template
    text = yaml_text(policies) if form == "yaml" else json_text(policies)
    if data.draw(st.booleans(), label="CRLF line ends"):
        text = text.replace("\n", "\r\n")
    source = cloudformation.read("t." + form, text)
    plan = data.draw(edits(policies))
    allowed, expected = set(), {}
    for policy, edit in zip(source.policies, plan):
        allowed |= allowed_lines(text, policy, edit)
        expected[policy.address] = expected_document(policy.document, edit)
    current = source
    for policy, edit in zip(source.policies, plan):
        if edit:
            new_text = cloudformation.rewrite(current, current.policy(policy.address), edit)
            current = cloudformation.read("t." + form, new_text)
    for address, document in expected.items():
        assert current.policy(address).document == document
    if "\r\n" in text:  # no bare LF written into a CRLF template
        assert current.text.count("\n") == current.text.count("\r\n")
    assert_only_allowed_lines_changed(text, current.text, allowed)


def assert_only_allowed_lines_changed(before: str, after: str, allowed: set[int]) -> None:
    """AFTER is BEFORE with at most the ALLOWED lines replaced: every run of other lines is
    found in AFTER, in order, the first at its start and the last at its end."""
    lines = before.splitlines(keepends=True)
    runs, run = [], []
    for number, line in enumerate(lines):
        if number in allowed:
            if run:
                runs.append((run[0], "".join(lines[n] for n in run)))
            run = []
        else:
            run.append(number)
    if run:
        runs.append((run[0], "".join(lines[n] for n in run)))
    cursor = 0
    for first, kept in runs:
        at = after.find(kept, cursor)
        assert at >= 0, f"line {first + 1} onwards changed: {kept[:200]!r}"
        if first == 0:
            assert at == 0, "the start changed"
        cursor = at + len(kept)
    if runs and runs[-1][0] + runs[-1][1].count("\n") >= len(lines) - 1:
        assert after.endswith(runs[-1][1]), "the end changed"
