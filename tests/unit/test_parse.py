"""Tests for the policy reader (inputs/jsontext.py, inputs/policy.py): JSON with positions, the
IAM policy structure, and every error message."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import BAD, CORPUS
from verify_refine.errors import InputError
from verify_refine.inputs.jsontext import decode, load_grammar_text, parse_json
from verify_refine.inputs.model import Number, Policy
from verify_refine.inputs.policy import parse_policy

# Corpus documents IAM itself would refuse, each with the exact reason (a new reject fails).
CORPUS_REJECTS = {
    "peer-policies/parliament__action_and_notaction_malformed.json":
        "6:5: Action and NotAction in one statement",
    "peer-policies/policyuniverse__old_version_principal_conditions.json":
        '2:14: Version must be "2012-10-17" or "2008-10-17"',
    "peer-policies/policyuniverse__resource_policy_bad_version_condition.json":
        '2:14: Version must be "2012-10-17" or "2008-10-17"',
}

POLICY = """{
  "Version": "2012-10-17",
  "Id": "caf\\u00e9-\\ud83d\\ude00",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:List*"],
      "Resource": "arn:aws:s3:::bucket/*",
      "Condition": {
        "NumericLessThan": {"s3:max-keys": ["1.50", 1.50, 1e3, -0, 10]},
        "Bool": {"aws:SecureTransport": true, "aws:ViaAWSService": false},
        "Null": {"aws:TokenIssueTime": null},
        "ForAnyValue:StringEquals": {"aws:TagKeys": [["nested", ["deeper"]], {}]}
      }
    },
    {
      "Effect": "Deny",
      "NotAction": "iam:*",
      "NotResource": ["arn:aws:iam::*:role/admin"]
    }
  ]
}
"""


def policy(text: str) -> Policy:
    return parse_policy(text.encode("utf-8"), "p.json")


def error_of(call, *args) -> str:
    with pytest.raises(InputError) as caught:
        call(*args)
    return str(caught.value)


def ordered(value):
    """value with every dict as a list of pairs, so that == also compares key order."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def json_loads_numbers(data: bytes):
    """The standard library's reading of data, numbers kept as their text like parse_json."""
    return json.loads(data, parse_int=Number, parse_float=Number)


# --- the grammar ---------------------------------------------------------------------------------

def test_grammar_is_found():
    assert "STRING" in load_grammar_text()


# --- parse_json ----------------------------------------------------------------------------------

def test_json_values():
    assert parse_json(b'{"b": [1, -2.50, 1E+3, true, false, null, "x", {}, []], "a": {}}', "f") == {
        "b": [Number("1"), Number("-2.50"), Number("1E+3"), True, False, None, "x", {}, []],
        "a": {},
    }


def test_json_keeps_key_order():
    assert list(parse_json(b'{"z": 1, "a": 2, "m": 3}', "f")) == ["z", "a", "m"]


@pytest.mark.parametrize("text", ['"x"', "0", "-0.0e-0", "true", "null", "[]", "{}"])
def test_json_any_top_level_value(text):
    assert parse_json(text.encode(), "f") == json_loads_numbers(text.encode())


def test_json_escapes():
    text = r'"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC \ud83d\ude00 \uD834\uDD1E \u0000"'
    assert parse_json(text.encode(), "f") == json.loads(text)


def test_json_raw_unicode_kept():
    assert parse_json('["é€😀", "\u2028"]'.encode(), "f") == ["é€😀", "\u2028"]


def test_json_bom_skipped():
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', "f") == {"a": Number("1")}
    assert decode(b"\xef\xbb\xbf[]", "f") == "[]"


def test_json_accepts_more_than_a_mebibyte():
    data = b'"' + b"a" * 1_100_000 + b'"'
    assert parse_json(data, "f") == "a" * 1_100_000


def test_json_duplicate_key_deep_inside():
    data = b'[1, {"k": {"a": 1, "b": 2, "a": 3}}]'
    message = 'f:1:28: duplicate key "a" (first at line 1, column 12)'
    assert error_of(parse_json, data, "f") == message


def test_json_error_carries_position():
    with pytest.raises(InputError) as caught:
        parse_json(b'{\n  "a": 1,\n  "b" 2\n}', "f.json")
    assert (caught.value.source, caught.value.line, caught.value.column) == ("f.json", 3, 7)
    assert caught.value.message == "expected ':'"


@pytest.mark.parametrize("data, message", [
    (b"[1 2]", "1:4: expected ',' or ']'"),
    (b"[1}", "1:3: expected ',' or ']'"),
    (b'{"a": 1]', "1:8: expected ',' or '}'"),
    (b"[,]", "1:2: expected a value or ']'"),
    (b"[1,,2]", "1:4: expected a value"),
    (b'{"a":}', "1:6: expected a value"),
    (b"{1: 2}", "1:2: expected a string key or '}'"),
    (b'{"a": 1, 2: 3}', "1:10: expected a string key"),
    (b"01", "1:2: unexpected text after the document"),
    (b"[1.]", "1:3: unexpected character \".\""),
    (b"[NaN]", "1:2: unexpected \"NaN\""),
    (b'["\\u12"]', "1:3: invalid \\u escape (needs 4 hex digits)"),
    (b'["\\udc00\\ud83d"]', "1:3: unpaired surrogate \\udc00 in string"),
    (b'["a\\', "1:2: unterminated string"),
    (b"[\xef\xbb\xbf]", "1:2: unexpected character U+FEFF"),
    (b"[1, \xf0\x9f\x98]", "1:5: not UTF-8 text (invalid byte 0xf0)"),
    (b"[\n\n  ", "3:3: unexpected end of input"),
])
def test_json_syntax_errors(data, message):
    assert error_of(parse_json, data, "f") == f"f:{message}"


@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"a":', "}")])
def test_deep_nesting_fails_fast(opener, closer):
    data = (opener * 10_000 + "1" + closer * 10_000).encode()
    started = time.perf_counter()
    message = error_of(parse_json, data, "f")
    assert time.perf_counter() - started < 1
    assert message == f"f:1:{64 * len(opener) + 1}: nesting deeper than 64 levels"


def test_unterminated_string_fails_fast():
    # A string regex with nested repetition backtracks exponentially here (seconds at 27 chars).
    started = time.perf_counter()
    assert error_of(parse_json, b'["' + b"a" * 27 + b'\n"]', "f") == "f:1:2: unterminated string"
    assert time.perf_counter() - started < 0.5


def test_sixty_four_levels_are_fine():
    assert parse_json(b"[" * 64 + b"]" * 64, "f") == json.loads("[" * 64 + "]" * 64)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, database=None)
@given(json_values, st.booleans())
def test_json_agrees_with_the_standard_library(value, ascii_only):
    data = json.dumps(value, ensure_ascii=ascii_only, indent=1 if ascii_only else None).encode()
    assert ordered(parse_json(data, "f")) == ordered(json_loads_numbers(data))


# --- parse_policy --------------------------------------------------------------------------------

def test_policy_structure():
    parsed = policy(POLICY)
    assert [key for key, _ in parsed.members] == ["Version", "Id", "Statement"]
    assert dict(parsed.members)["Id"] == "café-😀"
    assert parsed.statement_is_list
    assert parsed.source == "p.json"
    read, deny = parsed.statements
    assert (read.index, read.effect, read.action_key, read.sid, read.action_is_list) == (
        0, "Allow", "Action", "Read", True)
    assert [pattern.text for pattern in read.patterns] == ["s3:GetObject", "s3:List*"]
    assert [key for key, _ in read.members] == ["Sid", "Effect", "Action", "Resource", "Condition"]
    assert read.member("Action") == ["s3:GetObject", "s3:List*"]
    assert (deny.index, deny.effect, deny.action_key, deny.sid, deny.action_is_list) == (
        1, "Deny", "NotAction", None, False)
    assert [pattern.text for pattern in deny.patterns] == ["iam:*"]
    assert deny.member("NotResource") == ["arn:aws:iam::*:role/admin"]


def test_condition_kept_exactly():
    condition = policy(POLICY).statements[0].member("Condition")
    original = json_loads_numbers(POLICY.encode())["Statement"][0]["Condition"]
    assert ordered(condition) == ordered(original)
    assert condition["NumericLessThan"]["s3:max-keys"] == [
        "1.50", Number("1.50"), Number("1e3"), Number("-0"), Number("10")]
    assert condition["Bool"] == {"aws:SecureTransport": True, "aws:ViaAWSService": False}
    assert condition["Null"] == {"aws:TokenIssueTime": None}


def test_pattern_spans_point_at_the_strings():
    parsed = policy(POLICY)
    spans = [pattern.span for statement in parsed.statements for pattern in statement.patterns]
    assert [(span.line, span.column, span.end_column) for span in spans] == [
        (8, 18, 32), (8, 34, 44), (19, 20, 27)]
    assert [POLICY[span.start:span.end] for span in spans] == [
        '"s3:GetObject"', '"s3:List*"', '"iam:*"']


def test_statement_and_policy_spans():
    parsed = policy(POLICY)
    assert parsed.statement_span.line == 4 and parsed.statement_span.column == 16
    assert parsed.statement_span.end_line == 22
    first = parsed.statements[0].span
    assert (first.line, first.column, first.end_line, first.end_column) == (5, 5, 16, 6)
    assert POLICY[first.start] == "{" and POLICY[first.end - 1] == "}"


def test_statement_as_object_and_action_as_string():
    parsed = policy('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}')
    assert not parsed.statement_is_list
    (statement,) = parsed.statements
    assert (statement.effect, statement.action_is_list) == ("Deny", False)
    assert statement.patterns[0].text == "*"


@pytest.mark.parametrize("version", ['"Version": "2012-10-17", ', '"Version": "2008-10-17", ', ""])
def test_versions(version):
    parsed = policy('{' + version + '"Statement": {"Effect": "Allow", "Action": "s3:*"}}')
    assert len(parsed.statements) == 1


@pytest.mark.parametrize("principal", [
    '"Principal": "*"',
    '"Principal": {"AWS": ["arn:aws:iam::1:root"]}',
    '"NotPrincipal": {"Service": "ec2.amazonaws.com"}',
])
def test_principals(principal):
    text = '{"Statement": [{"Effect": "Allow", ' + principal + ', "Action": "sts:AssumeRole"}]}'
    (statement,) = policy(text).statements
    key = principal.split('"')[1]
    assert statement.member(key) == json.loads("{" + principal + "}")[key]


@pytest.mark.parametrize("action", ["*", "?*", "s3:*", "*:Get*", "S3:getobject", "s3:Get?bject"])
def test_wildcard_actions_accepted(action):
    parsed = policy('{"Statement": {"Effect": "Allow", "Action": "' + action + '"}}')
    assert parsed.statements[0].patterns[0].text == action


def test_bom_accepted_with_positions_right():
    data = b'\xef\xbb\xbf{"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}'
    (pattern,) = parse_policy(data, "p").statements[0].patterns
    assert (pattern.span.line, pattern.span.column) == (1, 45)
    assert decode(data, "p")[pattern.span.start:pattern.span.end] == '"s3:GetObject"'


def test_columns_count_characters_not_bytes():
    parsed = policy('{"Id": "éé😀", "Statement": {"Effect": "Allow", "Action": "s3:X"}}')
    assert parsed.statements[0].patterns[0].span.column == 58


def test_limit_is_one_mebibyte():
    body = b'{"Statement": {"Effect": "Allow", "Action": "s3:*"}}'
    exactly = body + b" " * (1024 * 1024 - len(body))
    assert parse_policy(exactly, "p").statements
    over = exactly + b"\n"
    assert error_of(parse_policy, over, "p") == "p:1:1: 1,048,577 bytes; the limit for a policy is 1 MiB"


# --- malformed fixtures --------------------------------------------------------------------------

EXPECTED = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))


def test_every_bad_fixture_has_an_expected_message():
    fixtures = sorted(path.name for path in BAD.iterdir()
                      if path.is_file() and path.name != "expected.json")
    assert fixtures == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture(name):
    path = BAD / name
    expected = EXPECTED[name].replace("{file}", str(path))
    assert error_of(parse_policy, path.read_bytes(), str(path)) == expected


# --- the corpus ----------------------------------------------------------------------------------

def test_corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS} (it lives in ../shared beside the project)")
    rejected = {}
    count = 0
    for path in sorted(CORPUS.rglob("*.json")):
        if path.name == "INDEX.json":
            continue
        count += 1
        name = path.relative_to(CORPUS).as_posix()
        data = path.read_bytes()
        try:
            parsed = parse_policy(data, name)
        except InputError as error:
            rejected[name] = str(error).removeprefix(f"{name}:")
            continue
        assert ordered(dict(parsed.members)) == ordered(json_loads_numbers(data)), name
        assert all(statement.patterns for statement in parsed.statements), name
    assert count > 1600
    assert rejected == CORPUS_REJECTS


# --- fuzzing: InputError or a Policy, nothing else -----------------------------------------------

FUZZ = settings(max_examples=500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def parses_or_input_error(data: bytes) -> None:
    try:
        assert isinstance(parse_policy(data, "fuzz"), Policy)
    except InputError as error:
        assert str(error).startswith("fuzz:") and len(str(error).splitlines()) == 1


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data):
    parses_or_input_error(data)


@FUZZ
@given(st.data())
def test_fuzz_single_character_edits(data):
    position = data.draw(st.integers(0, len(POLICY)))
    edit = data.draw(st.sampled_from(["delete", "insert", "replace"]))
    char = "" if edit == "delete" else data.draw(st.characters(codec="utf-8"))
    after = position + (0 if edit == "insert" else 1)
    parses_or_input_error((POLICY[:position] + char + POLICY[after:]).encode("utf-8"))
