"""refine TEMPLATE --in-place through the real CLI over generated templates (YAML in each list
and quoting style, flow statements, JSON; Action and NotAction statements) and generated
findings: the only lines that change are action lists and removed statements, every other line
stays byte for byte, and the certificate checks."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import run, script
from tests.unit.test_cfn_rewrite import (
    assert_only_allowed_lines_changed,
    json_text,
    templates,
    yaml_text,
)
from verify_refine.iac import cloudformation

UNUSED = ["s3:GetObject", "s3:PutObject", "s3:GetBucketAcl", "sqs:SendMessage", "logs:*",
          "ec2:DescribeInstances", "dynamodb:Query", "dynamodb:*", "iam:PassRole"]
_MARK = re.compile(r"(?:keep me|flow|/)\s*(\d+\.\d+)")


def allowed_lines(text: str, before, after) -> set[int]:
    """Lines that refine may change: every action list, and the statements that are gone (with
    the line the statement before ends on: the comma that joined them)."""
    kept = set(_MARK.findall(after.text))
    lines = set()
    for policy in before.policies:
        for stmt in policy.statements:
            mark = _MARK.search(text, stmt.span.start, stmt.span.end)
            gone = mark is not None and mark.group(1) not in kept
            span = stmt.span if gone else stmt.value
            lines.update(range(text.count("\n", 0, span.start),
                               text.count("\n", 0, max(span.end - 1, span.start)) + 1))
            if gone and stmt.index > 0:
                lines.add(text.count("\n", 0, policy.statements[stmt.index - 1].span.end))
    return lines


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """The services the generated templates and findings name, from the installed catalog (a
    small catalog keeps each refine and check quick)."""
    path = tmp_path_factory.mktemp("catalog") / "catalog.json"
    done = script("catalog", "export", "--services", "s3,sqs,logs,ec2,dynamodb,iam")
    assert done.returncode == 0, done.stderr
    path.write_text(done.stdout)
    return path


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(template=templates(), unused=st.lists(st.sampled_from(UNUSED), min_size=1, max_size=4,
                                             unique=True), which=st.integers(0, 1))
def test_refine_in_place_touches_only_action_lines_and_the_certificate_checks(
        tmp_path_factory, capsys, catalog, template, unused, which):
    folder = tmp_path_factory.mktemp("fuzz")
    form, policies = template
    text = yaml_text(policies) if form == "yaml" else json_text(policies)
    path = folder / f"t.{form}"
    path.write_text(text)
    findings = folder / "unused.json"
    findings.write_text(json.dumps(unused))
    address = f"Role.Policies[{min(which, len(policies) - 1)}]"
    code, out, err = run(capsys, "refine", path, "--unused", findings, "--policy", address,
                         "--in-place", "--certificate", folder / "certs", "--catalog", catalog)
    assert code == 0, err
    before = cloudformation.read(str(path), text)
    after = cloudformation.read(str(path), path.read_text())
    assert_only_allowed_lines_changed(text, after.text, allowed_lines(text, before, after))
    if "nothing left to allow" in err:
        assert after.text == text
        return
    cert = folder / "certs" / f"t.Role.Policies.{address[-2]}.cert.json"
    code, _, err = run(capsys, "check", cert)
    assert code == 0, err
