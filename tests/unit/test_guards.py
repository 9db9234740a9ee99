"""The guards on the unused set (inputs/guards.py): what they take out, what the proof kernel
is then handed, which services are spelled out, and which --keep-sid expressions are refused."""

from __future__ import annotations

import json

import pytest

from tests.helpers import AWS_FIXTURES
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings, guards
from verify_refine.inputs.catalog import Catalog
from verify_refine.inputs.policy import parse_policy

CATALOG = catalog_mod.load(str(AWS_FIXTURES / "catalog-2026-10-27-iam-s3-sqs-sts.json"))
POLICY = parse_policy(b'{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}',
                      "p.json")


def unused(*names: str):
    return findings.from_bytes(json.dumps(list(names)).encode(), "u.json", CATALOG)[0]


def test_a_set_the_guards_change_is_handed_to_the_kernel_as_its_names():
    raw = unused("iam:PassRole", "iam:CreateRole", "s3:*")
    assert raw.kernel_reads
    guarded = guards.apply(raw, guards.Guards(), POLICY, CATALOG)
    assert guarded.actions == ("iam:CreateRole",) and guarded.services == ("s3",)
    assert not guarded.kernel_reads
    assert json.loads(guarded.kernel_bytes()) == ["iam:CreateRole", "s3:*"]
    assert guarded.findings_bytes() == raw.source  # the file as read, for copies and drift
    assert [(k.name, k.reason.split(":")[0]) for k in guarded.kept] == [
        ("iam:PassRole", "a permission, not an API call")]


def test_a_set_the_guards_leave_alone_is_still_read_by_the_kernel_from_the_file():
    raw = unused("iam:CreateRole", "sqs:*")
    guarded = guards.apply(raw, guards.Guards(keep=("s3:Get*",)), POLICY, CATALOG)
    assert (guarded.actions, guarded.services, guarded.kept) == (raw.actions, raw.services, ())
    assert guarded.kernel_reads and guarded.kernel_bytes() == raw.source
    assert guarded.digest() != raw.digest()  # the hash binds the guards even so


def test_which_services_are_spelled_out_depends_on_the_guards_not_the_catalog():
    raw = unused("iam:*", "sqs:*")
    small = Catalog("slice", "v", None, {"iam": ("PassRole", "GetRole")})
    for catalog in (CATALOG, small):
        guarded = guards.apply(raw, guards.Guards(), POLICY, catalog)
        assert guarded.expanded == ("iam",) and guarded.services == ("sqs",)
    assert guards.apply(raw, guards.Guards(), POLICY, small).actions == ("iam:GetRole",)


@pytest.mark.parametrize("regex", ["^NOREPO", "NoRepo|Keep", "^(Keep|NoRepo)[0-9]+$",
                                   "(?i)norepo", "Keep.*Forever", "[A-Z]{2,8}Keep"])
def test_plain_sid_expressions_are_accepted(regex):
    assert guards.regex_problem(regex) is None


@pytest.mark.parametrize("regex", ["(a*)*", "(a|aa)+", "(?=a)b", "(?!a)b", r"(a)\1",
                                   "(?P<x>a)(?(x)b|c)", "x*y*z*", "a" * 201])
def test_expressions_that_can_backtrack_for_long_are_refused(regex):
    assert guards.regex_problem(regex)


def test_a_sid_too_long_to_match_quickly_is_bad_input():
    doc = {"Statement": [{"Sid": "A" * (guards.SID_MAX + 1), "Effect": "Allow",
                          "Action": "s3:*", "Resource": "*"}]}
    policy = parse_policy(json.dumps(doc).encode(), "p.json")
    with pytest.raises(guards.GuardError, match="has a Sid of 257 characters"):
        guards.apply(unused("s3:*"), guards.Guards(keep_sid="^A"), policy, CATALOG)
