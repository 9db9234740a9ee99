"""The canonical form hashes are made of, and the pretty form documents are written in: the standard library's encoder and the verbatim writer give the same text, whatever the value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from verify_refine import jsonout
from verify_refine.inputs.model import Number

scalars = (st.none() | st.booleans() | st.integers() | st.text()
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["1.50", "-0", "1e3", "12345678901234567890"]).map(Number))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=30)


@settings(max_examples=400, deadline=None, database=None)
@given(values)
def test_both_writers_give_the_same_bytes(value):
    assert jsonout.canonical(value) == jsonout._canonical(value).encode("utf-8")


def test_a_number_keeps_its_text():
    assert jsonout.canonical({"b": Number("1.50"), "a": [True, None]}) == \
        b'{"a":[true,null],"b":1.50}'


def _pretty_by_hand(value) -> str:
    lines: list[str] = []
    jsonout._write(value, 0, 2, lines)
    return "".join(lines)


@settings(max_examples=400, deadline=None, database=None)
@given(values)
def test_the_pretty_form_is_the_same_from_either_writer(value):
    assert jsonout.dumps(value) == _pretty_by_hand(value)


def test_the_pretty_form_keeps_a_number_s_text_and_the_key_order():
    assert jsonout.dumps({"b": Number("1.50"), "a": []}) == '{\n  "b": 1.50,\n  "a": []\n}'


@settings(max_examples=200, deadline=None, database=None)
@given(values)
def test_a_remembered_pretty_form_is_the_pretty_form_of_that_very_value(value):
    assert jsonout.dumps_remembered(value) == jsonout.dumps(value)
    assert jsonout.dumps_remembered(value) == jsonout.dumps(value)  # found again


def test_values_alike_but_for_key_order_are_remembered_apart():
    assert jsonout.dumps_remembered({"a": 1, "b": 2}) != jsonout.dumps_remembered({"b": 2, "a": 1})
