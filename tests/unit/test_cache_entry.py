"""A proof-cache entry as stored: read back whole under its own key, refused when any byte of
its body or header is not the one written, or when it is filed under another key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verify_refine.batch import cache

ENTRY = {"row": {"verdict": "proved", "warnings": ["ü"]}, "refined": '{"Version": "2012"}\n',
         "cert": {"verdict": "proved", "obligations": [{"smt2": "(check-sat)"}]}}
KEY = "ab" * 32


def test_an_entry_reads_back_as_written():
    assert cache.read_entry(cache.entry_bytes(KEY, ENTRY), KEY) == ENTRY


def test_only_the_row_refined_text_and_certificate_are_kept():
    assert cache.read_entry(cache.entry_bytes(KEY, dict(ENTRY, split=None)), KEY) == ENTRY


def test_an_entry_under_another_key_is_refused():
    with pytest.raises(cache.EntryError, match="not an entry of this key"):
        cache.read_entry(cache.entry_bytes(KEY, ENTRY), "cd" * 32)


@given(at=st.integers(min_value=0), byte=st.integers(0, 255))
def test_a_changed_byte_is_never_read_as_an_entry(at, byte):
    data = bytearray(cache.entry_bytes(KEY, ENTRY))
    at %= len(data)
    if data[at] == byte:
        return
    data[at] = byte
    try:
        body = cache.read_entry(bytes(data), KEY)
    except (cache.EntryError, ValueError):
        return
    # a change the header's JSON does not see (white space, a key's spelling of the same
    # value) may still read: then it is the entry as written, never another one
    assert body == ENTRY


def test_an_entry_without_its_header_line_is_refused():
    data = cache.entry_bytes(KEY, ENTRY)
    with pytest.raises(cache.EntryError):
        cache.read_entry(data.partition(b"\n")[2], KEY)
