"""The fast road to a JSON tree (standard library + one regular expression) builds exactly the tree the grammar's parser builds, spans included, and leaves every text the grammar refuses to the grammar."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_parse import json_values as values
from verify_refine.errors import InputError
from verify_refine.inputs import json_fast, jsontext
from verify_refine.inputs.jsontext import MAX_DEPTH, parse_tree


def grammar_tree(text: str):
    """The tree of the grammar's parser alone, or the message it refuses text with."""
    try:
        return jsontext._run_parser(text)
    except jsontext.SourceProblem as problem:
        return problem.message


@settings(max_examples=300, deadline=None, database=None)
@given(values, st.sampled_from([None, 0, 1, 3]), st.booleans(),
       st.sampled_from(["", "\n", " \r\n\t"]))
def test_same_tree_as_the_grammar(value, indent, ascii_only, around):
    text = around + json.dumps(value, indent=indent, ensure_ascii=ascii_only) + around
    fast = json_fast.tree(text, MAX_DEPTH)
    assert fast is not None
    assert fast == grammar_tree(text)


@settings(max_examples=500, deadline=None, database=None)
@given(values, st.data())
def test_a_damaged_text_is_left_to_the_grammar_or_read_alike(value, data):
    """Cut, duplicate or replace one character: the fast road reads the result exactly as the
    grammar does, or declines it; it never reads what the grammar refuses."""
    text = json.dumps(value, indent=1)
    at = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(["cut", "double", "replace"]))
    char = data.draw(st.sampled_from(list('{}[],:"\\ \n0-.eEtfn\x01\u2028') + ["\\ud800"]))
    if edit == "cut":
        text = text[:at] + text[at + 1:]
    elif edit == "double":
        text = text[:at] + text[at:at + 1] * 2 + text[at + 1:]
    else:
        text = text[:at] + char + text[at + 1:]
    fast, slow = json_fast.tree(text, MAX_DEPTH), grammar_tree(text)
    if isinstance(slow, str):
        assert fast is None
    else:
        assert fast is None or fast == slow


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', '[NaN]', '[Infinity]', '[-Infinity]', '["\\ud800"]',
    '["\\udc00\\ud800"]', '["\\\\ud800\\udc00"]', '{"\\udfff": 1}',
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '', ' ', '[1,]',
    "{'a': 1}", '["tab\there"]', '[01]', '[1.]', '[.5]', '["a"] x',
])
def test_what_the_grammar_refuses_is_declined(text):
    assert json_fast.tree(text, MAX_DEPTH) is None


def test_the_error_still_comes_from_the_grammar_with_its_position():
    with pytest.raises(InputError, match=r"f:3:3: duplicate key \"a\" \(first at line 2"):
        parse_tree(b'{\n "a": 1,\n  "a": 2}', "f")


def test_depth_limit_is_the_grammars():
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert json_fast.tree(deepest, MAX_DEPTH) == grammar_tree(deepest)


def test_spans_count_characters_and_lines_as_the_grammar_does():
    text = '{\n  "é": ["x",\n   12e-3, true],\n "k": null }'
    tree = json_fast.tree(text, MAX_DEPTH)
    assert tree == grammar_tree(text)
    (key, array), (_, null) = tree.members
    assert (key.span.line, key.span.column, array.span.end_line, array.span.end_column) == \
        (2, 3, 3, 16)
    assert (null.span.line, null.span.column, tree.span.end_column) == (4, 7, 13)


@settings(max_examples=300, deadline=None, database=None)
@given(values, st.sampled_from([None, 1]), st.booleans())
def test_values_are_the_trees_values(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    read, fast = json_fast.values(text, MAX_DEPTH)
    if read:
        assert fast == grammar_tree(text).value
    else:  # declined only where a surrogate escape may be
        assert "\\ud" in text.lower()


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', '[NaN]', '["\\ud800"]', '["\\\\ud800\\udc00"]', '[1,]', '',
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    '{"a": ' * (MAX_DEPTH + 1) + '1' + '}' * (MAX_DEPTH + 1),
])
def test_values_leave_to_the_grammar_what_it_refuses(text):
    assert json_fast.values(text, MAX_DEPTH) == (False, None)


def test_values_read_the_deepest_document_the_grammar_reads():
    deepest = '{"a": ' * (MAX_DEPTH - 1) + '[1]' + '}' * (MAX_DEPTH - 1)
    assert json_fast.values(deepest, MAX_DEPTH) == (True, grammar_tree(deepest).value)
