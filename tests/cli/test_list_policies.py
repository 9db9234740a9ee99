"""list-policies over CloudFormation templates (YAML and JSON): every policy with its place,
address, kind, statements and holders; refusals with FILE:LINE:COLUMN; and bad templates as one
line, exit 2, whatever the damage."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, run

IAC = FIXTURES / "iac"


def test_a_yaml_template(capsys):
    code, out, err = run(capsys, "list-policies", IAC / "app.yaml")
    assert code == 0, err
    assert out.splitlines() == [
        f"{IAC / 'app.yaml'}:20:11  AppRole.Policies[0]  role-inline  2 statements  AppRole",
        f"{IAC / 'app.yaml'}:36:11  AppRole.Policies[1]  role-inline  2 statements  AppRole"]


def test_a_json_template_with_every_kind_of_holder(capsys):
    code, out, err = run(capsys, "list-policies", IAC / "attached.json", "--format", "json")
    assert code == 0, err
    found = {p["address"]: (p["kind"], p["holders"], p["line"])
             for p in json.loads(out)["policies"]}
    assert found == {"Admins.Policies[0]": ("group-inline", ["Admins"], 19),
                     "WorkerPolicy": ("role-inline", ["WorkerRole"], 29),
                     "SharedManaged": ("managed", ["Ops", "WorkerRole"], 57),
                     "PermSet.InlinePolicy": ("permission-set-inline", ["PermSet"], 72)}
    worker = next(p for p in json.loads(out)["policies"] if p["address"] == "WorkerPolicy")
    # intrinsic functions outside the action lists are kept, as opaque strings
    assert worker["document"]["Statement"][0]["Resource"] == '{"Fn::GetAtt":["Queue","Arn"]}'


def test_refusals_name_the_intrinsic_function_and_where_it_is(capsys):
    code, out, err = run(capsys, "list-policies", IAC / "refused.yaml")
    assert code == 0, err
    assert out.splitlines() == [
        f"{IAC / 'refused.yaml'}:25:3  Fine  managed  1 statement  (not attached in this "
        "source)",
        f"{IAC / 'refused.yaml'}:11:21: Computed: refused: intrinsic function \"!Split\" in "
        "Action: an action list computed at deploy time cannot be refined",
        f"{IAC / 'refused.yaml'}:21:13: Conditional: refused: a statement is not a mapping (it "
        'is the intrinsic function "!If")']


def test_a_folder(capsys):
    code, out, _ = run(capsys, "list-policies", IAC)
    assert code == 0
    assert sum(1 for line in out.splitlines() if ": refused: " not in line) == 8


@pytest.mark.parametrize("text, message", [
    ("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {a: 1\n",
     ":5:1: not valid YAML: "),
    ("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      X: !Bogus 1\n",
     ':5:10: unknown tag "!Bogus"'),
    ("Resources:\n  R:\n    Type: AWS::IAM::Role\n  R:\n    Type: AWS::IAM::User\n",
     ':4:3: duplicate key "R" (first at line 2, column 3)'),
    ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n",
     ":3:3: no IAM policy in the template"),
    ('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"R": {}, "R": {}}}',
     ':1:67: duplicate key "R" (first at line 1, column 58)'),
])
def test_bad_templates(tmp_path, capsys, text, message):
    path = tmp_path / ("t.json" if text.startswith("{") else "t.yaml")
    path.write_text(text)
    code, out, err = run(capsys, "list-policies", path)
    assert (code, out) == (2, "")
    assert err.startswith(str(path) + message) and len(err.splitlines()) == 1, err


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_templates_are_one_line_exit_2_or_read(tmp_path, capsys, data):
    name = data.draw(st.sampled_from(["app.yaml", "attached.json", "refused.yaml"]))
    text = (IAC / name).read_text()
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    junk = data.draw(st.text(alphabet=":-[]{}!&*'\"#\n\t ,|>%@`ab", max_size=6))
    path = tmp_path / name
    path.write_text(text[:at] + junk + text[at + cut:])
    code, out, err = run(capsys, "list-policies", path)
    if code == 0:
        assert out and not err
    else:
        assert code == 2 and out == "" and len(err.splitlines()) == 1, err
        assert err.startswith(str(path) + ":") and "Traceback" not in err


def test_without_ruamel_yaml_a_yaml_template_asks_for_the_iac_extra(tmp_path):
    program = ("import sys; sys.modules['ruamel'] = sys.modules['ruamel.yaml'] = None; "
               "from verify_refine.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", program, "list-policies", str(IAC / "app.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("reading a CloudFormation YAML template needs ruamel.yaml, which is "
                           "not installed: pip install 'ruamel.yaml>=0.18' (or, in a clone of "
                           "verify-refine, pip install -e '.[iac]')\n")
    json_template = subprocess.run([sys.executable, "-c", program, "list-policies",
                                    str(IAC / "attached.json")], capture_output=True, text=True,
                                   timeout=60)
    assert json_template.returncode == 0  # JSON templates need no extra


@pytest.mark.parametrize("source, address", [
    ("jsonencode/main.tf", "aws_iam_policy."),
    ("document", "data.aws_iam_policy_document."),
    ("plan/plan.json", "aws_iam_"),
])
def test_terraform_code_and_plans_are_listed(capsys, source, address):
    code, out, err = run(capsys, "list-policies", IAC / "terraform" / source)
    assert code == 0, err
    assert any(f"  {address}" in line for line in out.splitlines()), out
