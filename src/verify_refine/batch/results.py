"""One finished proof written where a policy's results go: the refined policy and its certificate, naming that policy's own files."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import certificate, split_record
from ..files import write_if_changed
from ..inputs.findings import UnusedSet
from ..split_proof import SplitProof
from ..verdict import Verdict
from .outpaths import real_path


@dataclass(frozen=True)
class Destination:
    """The files of one policy's result: its original and findings (already written), the
    refined policy and certificate to write, and the catalog file named (None: installed)."""

    original: str
    unused: str
    refined: str
    cert: str
    catalog: str | None = None


def place(entry: dict, to: Destination, unused: UnusedSet) -> dict:
    """Write a proved entry's refined policy and certificate (relocated to `to`), or remove
    any old ones when it is not proved; returns a copy of the entry's row."""
    row = dict(entry["row"], warnings=list(entry["row"]["warnings"]))
    if entry["cert"] is None:
        for path in (to.refined, to.cert):
            Path(path).unlink(missing_ok=True)
        return row
    write_if_changed(to.refined, entry["refined"], sync=False)  # the cache holds it, checked
    cert = relocated(entry["cert"], to, unused)
    if not _holds(to.cert, cert):  # a repeated run finds it there already
        write_if_changed(to.cert, json.dumps(cert, indent=1, ensure_ascii=False) + "\n",
                         sync=False)
    if entry.get("split"):  # the refined policy was split into proved parts beside it
        split = entry["split"]
        proof = SplitProof(Verdict.PROVED, "", split["queries"])
        split_record.write_split(Path(to.refined).parent, Path(to.refined).stem, to.refined,
                                 entry["refined"].encode("utf-8"), split["texts"], proof,
                                 split["limit"])
    return row


def relocated(cert: dict, to: Destination, unused: UnusedSet) -> dict:
    """The certificate as it would have been built at `to`: the file names relative to the
    certificate's folder, the catalog's path, and how these findings were read. Every hashed
    field (documents, unused set, slice, obligations) is kept as it is."""
    folder = os.path.dirname(real_path(to.cert))
    reading = certificate.unused_reading(unused)
    out: dict = {}
    for name, value in cert.items():
        if name == "unused_reading":
            continue
        if name == "files":
            value = {"original": _relative(to.original, folder),
                     "unused": _relative(to.unused, folder),
                     "refined": _relative(to.refined, folder)}
        elif name == "catalog":
            value = dict(value, path=_relative(to.catalog, folder) if to.catalog else None)
        out[name] = value
        if name == "sha256" and reading:
            out["unused_reading"] = reading
    return out


def _relative(path: str, folder: str) -> str:
    real = real_path(path)
    if os.path.dirname(real) == folder:  # a file beside the certificate (the usual case)
        return os.path.basename(real)
    return Path(os.path.relpath(real, folder)).as_posix()


def _holds(path: str, value: dict) -> bool:
    """Whether the JSON file at PATH holds VALUE (False when absent or unreadable)."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read()) == value
    except (OSError, ValueError):
        return False
