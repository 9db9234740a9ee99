"""Any text given as Terraform or as a plan ends as policies, refusals or one line of bad
input: never a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES
from verify_refine.errors import InputError
from verify_refine.iac import terraform, terraform_plan

pytest.importorskip("tree_sitter_hcl")

FIXTURE_TEXTS = [p.read_text() for p in sorted((FIXTURES / "iac" / "terraform").rglob("*.tf"))]
PLAN = json.loads((FIXTURES / "iac" / "terraform" / "plan" / "plan.json").read_text())
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@st.composite
def mangled_hcl(draw):
    """A fixture with a slice cut out or replaced by HCL punctuation or words."""
    text = draw(st.sampled_from(FIXTURE_TEXTS))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 40)))
    middle = draw(st.sampled_from(["", "{", "}", "[", "]", '"', "<<EOF\n", "${", "=", ",",
                                   "jsonencode(", "var.x", "\n", "#", "/*", "é"]))
    return text[:start] + middle + text[end:]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_hcl())
def test_mangled_hcl_is_read_or_bad_input_in_one_line(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("tf")
    (folder / "main.tf").write_text(text, encoding="utf-8")
    try:
        sources = terraform.read_folder(str(folder))
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith(str(folder))
        return
    for source in sources:
        for refusal in source.refusals:
            assert "\n" not in str(refusal)
        for policy in source.policies:  # what is read can be written back
            edit = {s.index: policy.style["statements"][s.index]["actions"][:1]
                    for s in policy.statements}
            terraform.rewrite(source, policy, edit)


def paths(value, prefix=()):
    """Every path to a value inside a JSON value, the value itself first."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, inner in items:
        yield from paths(inner, (*prefix, key))


PLAN_PATHS = [p for p in paths(PLAN) if p]


@st.composite
def mangled_plans(draw):
    """The fixture plan with the value at any one of its paths replaced by any JSON value."""
    plan = json.loads(json.dumps(PLAN))
    path = draw(st.sampled_from(PLAN_PATHS))
    target = plan
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(JSON)
    return json.dumps(plan)


@settings(max_examples=150, deadline=None)
@given(mangled_plans())
def test_mangled_plans_are_read_or_bad_input_in_one_line(text):
    try:
        source = terraform_plan.read("plan.json", text)
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith("plan.json")
        return
    for refusal in source.refusals:
        assert "\n" not in str(refusal)
