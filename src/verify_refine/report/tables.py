"""The two table formats of every summary: CSV bytes (RFC 4180, CRLF) and Markdown cells."""

from __future__ import annotations

import csv
import io
import re


def csv_bytes(columns, rows) -> bytes:
    """RFC 4180 lines (CRLF), so that a value holding a lone CR or LF is quoted in its cell,
    not a new row; keys outside COLUMNS are left out."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def md_cell(value) -> str:
    """A value as one Markdown table cell: `|` and `\\` escaped, line breaks made spaces."""
    return re.sub(r"\r\n?|\n", " ", str(value).replace("\\", "\\\\").replace("|", "\\|"))
