"""Regenerate tests/bad/certificate/: a valid certificate (files/valid.json, made by the real
`verify-refine refine`), and each bad certificate as one named edit of it. Run it after a change
of the certificate format, then review each message in tests/bad/certificate/expected.json
(`python tests/make_bad_certificates.py --show` prints what `check` says now).

    python tests/make_bad_certificates.py [--show]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from verify_refine.cli import main

HERE = Path(__file__).resolve().parent / "bad" / "certificate"
FILES = HERE / "files"


def valid() -> dict:
    """A fresh certificate of files/, with its files named from tests/bad/certificate/."""
    assert main(["refine", str(FILES / "policy.json"), "--unused", str(FILES / "unused.json"),
                 "--catalog", str(FILES / "catalog.json"), "-o", str(FILES / "refined.json"),
                 "--certificate", str(FILES / "valid.json")]) == 0
    cert = json.loads((FILES / "valid.json").read_text(encoding="utf-8"))
    cert["files"] = {k: f"files/{v}" for k, v in cert["files"].items()}
    cert["catalog"]["path"] = "files/" + cert["catalog"]["path"]
    return cert


def text(cert) -> str:
    return json.dumps(cert, indent=1, ensure_ascii=False) + "\n"


def setting(path: tuple, value):
    """An edit that sets (or, for DELETE, removes) the field at path."""
    def edit(cert):
        parent = cert
        for step in path[:-1]:
            parent = parent[step]
        if value is DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value(parent[path[-1]]) if callable(value) else value
        return text(cert)
    return edit


DELETE = object()


def replacing(old: str, new: str, value_edit=None):
    """A textual edit of the written certificate: the first `old` becomes `new`."""
    def edit(cert):
        written = value_edit(cert) if value_edit else text(cert)
        assert old in written, old
        return written.replace(old, new, 1)
    return edit


def truncated(cert) -> str:
    written = text(cert)
    return written[:written.index('"statements"') + len('"statem')]


EDITS = {
    "bom.json": lambda c: "\ufeff" + setting(("version",), 0)(c),
    "catalog_missing_file.json": setting(("catalog", "path"), "files/catalog-2024.json"),
    "catalog_path_number.json": setting(("catalog", "path"), 1),
    "catalog_string.json": setting(("catalog",), "files/catalog.json"),
    "duplicate_key.json": replacing(' "verdict": "proved"',
                                    ' "verdict": "refuted",\n "verdict": "proved"'),
    "files_string.json": setting(("files",), "files/"),
    "hash_edited.json": setting(("sha256", "original"),
                                lambda h: ("1" if h[0] != "1" else "2") + h[1:]),
    "hint_origin_string.json": setting(("hints", "statements", 0, "entries", 0, "origin"), "0"),
    "hint_original_bool.json": setting(("hints", "statements", 0, "original"), False),
    "hints_entries_number.json": setting(("hints", "statements", 0, "entries"), 2),
    "huge_integer.json": replacing('"statement": 0', '"statement": ' + "9" * 5000),
    "nan_timeout.json": replacing('"timeout_s": 10.0', '"timeout_s": NaN'),
    "not_utf8.json": lambda c: text(c).replace('"verify-refine"', '"v\udce9rify-refine"', 1),
    "nul_byte.json": lambda c: text(c) + "\0",
    "obligation_edited.json": setting(
        ("obligations", 0, "smt2"),
        lambda s: s.replace("\n(check-sat)\n", "\n(assert false)\n(check-sat)\n")),
    "obligation_smt2_number.json": setting(("obligations", 0, "smt2"), 0),
    "obligation_witness_number.json": setting(("obligations", 0, "witness"), 0),
    "obligations_missing.json": setting(("obligations",), DELETE),
    "obligations_object.json": setting(("obligations",), lambda obs: {"list": obs}),
    "original_is_a_folder.json": setting(("files", "original"), "files"),
    "original_missing_file.json": setting(("files", "original"), "files/policy-v2.json"),
    "other_format.json": setting(("format",), "sarif-2.1.0"),
    "sha256_list.json": setting(("sha256",), lambda h: [h["original"]]),
    "sha256_missing.json": setting(("sha256",), DELETE),
    "slice_action_dropped.json": setting(("catalog", "slice", "s3"),
                                         lambda names: [n for n in names if n != "GetObject"]),
    "slice_missing.json": setting(("catalog", "slice"), DELETE),
    "slice_name_invalid.json": setting(("catalog", "slice", "s3", 1), "Get Object"),
    "truncated.json": truncated,
    "verdict_number.json": setting(("verdict",), 1),
    "verdict_refuted.json": setting(("verdict",), "refuted"),
    "version_1.json": setting(("version",), 1),
    "version_3.json": setting(("version",), 3),
    "version_missing.json": setting(("version",), DELETE),
    "version_string.json": setting(("version",), "2"),
    "version_true.json": setting(("version",), True),
}
KEPT = ("empty.json", "not_an_object.json")  # not derived from a certificate


def write_all() -> None:
    base = valid()
    for name in sorted(p.name for p in HERE.glob("*.json")):
        if name not in EDITS and name not in KEPT and name != "expected.json":
            (HERE / name).unlink()
    for name, edit in EDITS.items():
        data = edit(json.loads(json.dumps(base)))
        (HERE / name).write_bytes(data.encode("utf-8", "surrogateescape"))


def show() -> None:
    for name in sorted([*EDITS, *KEPT]):
        print(f"--- {name}", flush=True)
        print("exit", main(["check", str(HERE / name)]), flush=True)


if __name__ == "__main__":
    show() if "--show" in sys.argv else write_all()
