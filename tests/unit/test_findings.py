"""Tests for findings.py: every supported findings format -> the same unused set, and bad input."""

from __future__ import annotations

import json

import pytest

from tests.helpers import BLOG, ROOT, S3_LAMBDA_CATALOG
from verify_refine.errors import InputError
from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs import findings

FIXTURES = ROOT / "tests" / "fixtures" / "findings"

FORMATS = ["list.json", "get-finding-v2.json", "names.json", "names.txt"]
EXPECTED_ACTIONS = {"s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetObjectTagging",
                    "s3:PutBucketPolicy"}


@pytest.fixture(scope="module")
def cat():
    return catalog_mod.load(str(S3_LAMBDA_CATALOG))


@pytest.fixture(scope="module")
def small_cat(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalog") / "small.json"
    path.write_text(json.dumps({"rds-db": ["connect"], "s3": ["GetObject", "GetBucketAcl",
                                                              "ListBucket"]}))
    return catalog_mod.load(str(path))


def load(path, cat):
    return findings.load(str(path), cat)


def load_text(tmp_path, text, cat, name="unused.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path, cat)


def error(tmp_path, text, cat, name="unused.json") -> str:
    with pytest.raises(InputError) as caught:
        load_text(tmp_path, text, cat, name)
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path / name) in message  # every error names the file
    return message


# --- the four formats say the same thing --------------------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_each_format_gives_the_same_unused_set(name, cat):
    unused, warnings = load(FIXTURES / name, cat)
    assert set(unused.actions) == EXPECTED_ACTIONS
    assert len(unused.actions) == len(EXPECTED_ACTIONS)
    assert unused.services == ("lambda",)
    assert unused.unknown == ()
    assert warnings == []
    assert set(unused.patterns) == EXPECTED_ACTIONS | {"lambda:*"}


def test_all_formats_hash_alike(cat):
    digests = {load(FIXTURES / name, cat)[0].digest() for name in FORMATS}
    assert len(digests) == 1


def test_blog_findings(cat):
    unused, warnings = load(BLOG / "unused.json", cat)
    assert len(unused.actions) == 30
    assert "s3:GetBucketCORS" in unused.actions and "lambda:AddPermission" in unused.actions
    assert unused.services == () and warnings == []


def test_finding_v2_ignores_details_of_other_kinds(tmp_path, cat):
    finding = {
        "id": "x", "resource": "arn:aws:iam::123456789012:role/r",
        "findingType": "UnusedPermission",
        "findingDetails": [
            {"unusedIamRoleDetails": {"lastAccessed": "2024-01-01T00:00:00+00:00"}},
            {"unusedPermissionDetails": {"serviceNamespace": "s3",
                                         "actions": [{"action": "GetObject"}]}},
        ],
    }
    unused, _ = load_text(tmp_path, json.dumps(finding), cat)
    assert unused.actions == ("s3:GetObject",)


def test_finding_v2_action_with_service_prefix(tmp_path, cat):
    unused, _ = load_text(tmp_path, json.dumps([{"serviceNamespace": "s3",
                                                 "actions": ["s3:GetObject"]}]), cat)
    assert unused.actions == ("s3:GetObject",)


def test_text_with_bom_and_crlf(tmp_path, cat):
    path = tmp_path / "names.txt"
    path.write_bytes(b"\xef\xbb\xbfs3:GetObject\r\n\r\n# c\r\nlambda:GetFunction\r\n")
    unused, _ = load(path, cat)
    assert unused.actions == ("s3:GetObject", "lambda:GetFunction")


def test_json_with_bom(tmp_path, cat):
    path = tmp_path / "names.json"
    path.write_bytes(b'\xef\xbb\xbf["s3:GetObject"]')
    assert load(path, cat)[0].actions == ("s3:GetObject",)


# --- whole services ------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", [
    {"serviceNamespace": "s3"},
    {"serviceNamespace": "s3", "actions": []},
    {"serviceNamespace": "S3"},
])
def test_entry_without_actions_is_the_whole_service(tmp_path, cat, entry):
    unused, warnings = load_text(tmp_path, json.dumps([entry]), cat)
    assert unused.services == ("s3",)
    assert unused.actions == ()
    assert unused.patterns == ("s3:*",)
    assert warnings == []


@pytest.mark.parametrize("name", ["s3:*", "S3:*"])
def test_star_in_a_name_list_is_the_whole_service(tmp_path, cat, name):
    unused, _ = load_text(tmp_path, json.dumps([name, "lambda:GetFunction"]), cat)
    assert unused.services == ("s3",)
    assert unused.actions == ("lambda:GetFunction",)
    unused, _ = load_text(tmp_path, f"{name}\nlambda:GetFunction\n", cat, "names.txt")
    assert unused.services == ("s3",)
    assert unused.actions == ("lambda:GetFunction",)


def test_actions_of_a_whole_service_are_folded_into_it(tmp_path, cat):
    unused, _ = load_text(tmp_path, json.dumps(
        ["s3:GetObject", "s3:*", "lambda:GetFunction", "s3:NoSuchAction"]), cat)
    assert unused.services == ("s3",)
    assert unused.actions == ("lambda:GetFunction",)
    assert unused.unknown == ()


def test_unknown_whole_service_warns(tmp_path, cat):
    unused, warnings = load_text(tmp_path, json.dumps([{"serviceNamespace": "nosuchsvc"}]), cat)
    assert unused.services == ("nosuchsvc",)
    assert len(warnings) == 1
    assert '"nosuchsvc"' in warnings[0] and "still counts as unused" in warnings[0]


# --- case and canonical names -------------------------------------------------------------------

def test_names_are_canonicalised_to_catalog_case(tmp_path, cat):
    unused, warnings = load_text(tmp_path, json.dumps(
        [{"serviceNamespace": "S3", "actions": ["getbucketacl", "GETBUCKETCORS"]},
         {"serviceNamespace": "lambda", "actions": ["getFunction"]}]), cat)
    assert unused.actions == ("s3:GetBucketAcl", "s3:GetBucketCORS", "lambda:GetFunction")
    assert warnings == []


def test_case_variants_count_once(tmp_path, cat):
    unused, _ = load_text(tmp_path, "s3:getobject\nS3:GETOBJECT\ns3:GetObject\n", cat,
                          "names.txt")
    assert unused.actions == ("s3:GetObject",)


def test_hyphenated_service_and_lower_case_action(tmp_path, small_cat):
    unused, warnings = load_text(tmp_path, "RDS-DB:Connect\n", small_cat, "names.txt")
    assert unused.actions == ("rds-db:connect",)
    assert warnings == []


# --- names not in the catalog -------------------------------------------------------------------

def test_unknown_names_warn_and_still_count(tmp_path, cat):
    unused, warnings = load_text(tmp_path, json.dumps(
        [{"serviceNamespace": "s3", "actions": ["GetObject", "GetBucketFrobnication"]},
         {"serviceNamespace": "ec2", "actions": ["DescribeInstances"]}]), cat)
    assert unused.actions == ("s3:GetObject", "s3:GetBucketFrobnication",
                              "ec2:DescribeInstances")
    assert unused.unknown == ("s3:GetBucketFrobnication", "ec2:DescribeInstances")
    assert len(warnings) == 2
    assert '"s3:GetBucketFrobnication"' in warnings[0]
    assert '"ec2:DescribeInstances"' in warnings[1]
    for warning in warnings:
        assert "not in the catalog" in warning and "still counts as unused" in warning
        assert cat.label in warning
        assert str(tmp_path / "unused.json") in warning


def test_unknown_name_keeps_its_spelling(tmp_path, cat):
    unused, warnings = load_text(tmp_path, "s3:getFrobnication\n", cat, "names.txt")
    assert unused.actions == ("s3:getFrobnication",)
    assert "line 1" in warnings[0]


# --- wrong shapes --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("42", 'expected service:Action, got "42"'),
    ('{"id": "abc", "findingType": "UnusedPermission"}', "unrecognised findings format"),
    ('{"findingDetails": {"unusedPermissionDetails": {}}}', "findingDetails: expected a list"),
    ('{"findingDetails": ["s3"]}', "findingDetails[0]: expected an object"),
    ('[{"serviceNamespace": "s3", "actions": "GetObject"}]', "[0].actions: expected a list"),
    ('[{"serviceNamespace": "s3", "actions": {"action": "GetObject"}}]',
     "[0].actions: expected a list"),
    ('[{"serviceNamespace": "s3", "actions": ["GetObject", "Get*"]}]',
     '[0].actions[1]: "Get*": unused actions are names, not patterns'),
    ('[{"serviceNamespace": "s3", "actions": ["Get?bject"]}]', "not patterns"),
    ('["s3:Get*"]', '[0]: "Get*": unused actions are names, not patterns'),
    ('["s3:GetObject", "s3GetObject"]', '[1]: expected service:Action, got "s3GetObject"'),
    ('["s3:GetObject:x"]', 'expected service:Action, got "s3:GetObject:x"'),
    ('[":GetObject"]', 'expected service:Action, got ":GetObject"'),
    ('["s*:GetObject"]', 'expected service:Action, got "s*:GetObject"'),
    ('[{"serviceNamespace": "", "actions": ["GetObject"]}]',
     '[0].serviceNamespace: expected a service prefix such as "s3"'),
    ('[{"actions": ["GetObject"]}]', "[0].serviceNamespace: expected a service prefix"),
    ('[{"serviceNamespace": "s3:x"}]', "[0].serviceNamespace: expected a service prefix"),
    ('[{"serviceNamespace": 3}]', "[0].serviceNamespace: expected a service prefix"),
    ('[{"serviceNamespace": "s3", "actions": [""]}]', "[0].actions[0]: expected an action name"),
    ('[{"serviceNamespace": "s3", "actions": [7]}]', "[0].actions[0]: expected an action name"),
    ('[{"serviceNamespace": "s3", "actions": [{"lastAccessed": "x"}]}]',
     "[0].actions[0].action: expected an action name"),
    ('[{"serviceNamespace": "s3", "actions": ["lambda:GetFunction"]}]',
     '"lambda:GetFunction" is not in service "s3"'),
    ('["s3:GetObject", {"serviceNamespace": "s3"}]', "unrecognised findings format"),
    ("[1, 2]", "unrecognised findings format"),
    ('["s3:"]', "unused actions are names"),
])
def test_wrong_shapes_are_input_errors(tmp_path, cat, text, expected):
    assert expected in error(tmp_path, text, cat)


@pytest.mark.parametrize("text, expected", [
    ("s3:GetObject\ns3:Get*\n", ':2:1: "Get*": unused actions are names, not patterns'),
    ("s3:GetObject\n\n# ok\n  GetObject\n", ':4:3: expected service:Action, got "GetObject"'),
    ("ec2:*:x\n", ':1:1: expected service:Action'),
])
def test_wrong_text_lines_are_input_errors(tmp_path, cat, text, expected):
    assert expected in error(tmp_path, text, cat, "names.txt")


def test_unknown_format_message_lists_the_formats(tmp_path, cat):
    message = error(tmp_path, '{"items": []}', cat)
    assert "get-finding-v2" in message and "serviceNamespace" in message
    assert "service:Action" in message


# --- files that cannot be read or parsed --------------------------------------------------------

def test_missing_file(tmp_path, cat):
    with pytest.raises(InputError) as caught:
        load(tmp_path / "nope.json", cat)
    assert str(caught.value) == f"{tmp_path / 'nope.json'}: no such file"


def test_directory(tmp_path, cat):
    with pytest.raises(InputError) as caught:
        load(tmp_path, cat)
    assert str(caught.value).startswith(f"{tmp_path}: is a directory")


@pytest.mark.parametrize("text, position, words", [
    ('[\n  {"serviceNamespace": "s3",\n   "actions": ["GetObject",]}\n]', "3:27", "trailing comma"),
    ('[\n  "s3:GetObject"\n  "s3:PutObject"\n]', "3:3", "expected ',' or ']'"),
    ('{"findingDetails": [', "1:21", "unexpected end of input"),
    ('[{"serviceNamespace": "s3", "serviceNamespace": "ec2"}]', "1:29", "duplicate key"),
])
def test_invalid_json_names_line_and_column(tmp_path, cat, text, position, words):
    message = error(tmp_path, text, cat)
    assert message.startswith(f"{tmp_path / 'unused.json'}:{position}: ")
    assert words in message


def test_not_utf8(tmp_path, cat):
    path = tmp_path / "names.txt"
    path.write_bytes(b"s3:GetObject\ns3:Get\xffObject\n")
    with pytest.raises(InputError) as caught:
        load(path, cat)
    assert "not UTF-8" in str(caught.value)
    path = tmp_path / "names.json"
    path.write_bytes(b'["s3:Get\xffObject"]')
    with pytest.raises(InputError) as caught:
        load(path, cat)
    assert str(caught.value).startswith(f"{path}:1:")
    assert "not UTF-8" in str(caught.value)


def test_empty_inputs_give_an_empty_set(tmp_path, cat):
    for text, name in (("[]", "unused.json"), ("", "names.txt"), ("# nothing\n\n", "names.txt")):
        unused, warnings = load_text(tmp_path, text, cat, name)
        assert unused.actions == () and unused.services == () and warnings == []


def test_text_line_numbers_count_leading_blank_lines(tmp_path, cat):
    message = error(tmp_path, "\n\n# unused\ns3:Get*\n", cat, "names.txt")
    assert 'names.txt:4:1: "Get*"' in message
    _, warnings = load_text(tmp_path, "\n\ns3:NoSuchAction\n", cat, "names.txt")
    assert "line 3:" in warnings[0]
