"""The proof record of a split, OUTDIR/<name>.split.json: which policy, which parts (SHA-256 of
their bytes), the limit and the verdict; writing a proved split, and re-checking a record by
proving the split again from the files (`verify-refine check NAME.split.json`)."""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path

from . import __version__, pipeline
from .errors import InputError
from .files import finishing, read_input, write_atomically
from .inputs.catalog import Catalog
from .inputs.jsontext import load_json
from .inputs.policy import parse_policy
from .inputs.wrappers import load_policy
from .jsonout import dumps
from .report.size import iam_size
from .split_proof import SplitProof
from .verdict import Verdict

FORMAT = "verify-refine/split"
SUFFIX = ".split.json"
WHAT_IS_PROVED = (
    "attached together, the parts allow exactly the requests the policy allows (every action "
    "string, resource and condition value: whole-policy sound in both directions); each part "
    "is within the limit, has the policy's Version and holds every Deny statement, so each "
    "part alone allows no more than the policy")


def part_name(stem: str, k: int) -> str:
    return f"{stem}-{k}.json"


def leftovers(outdir: Path, stem: str, count: int) -> list[Path]:
    """Files named like parts of a split of STEM in OUTDIR beyond the COUNT just written."""
    found = []
    for path in outdir.glob(f"{glob.escape(stem)}-*.json"):
        number = path.name[len(stem) + 1:-len(".json")]
        if number.isdigit() and number == str(int(number)) and int(number) > count:
            found.append(path)
    return sorted(found, key=lambda p: int(p.name[len(stem) + 1:-len(".json")]))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_split(outdir: Path, stem: str, policy_path: str | None, policy_bytes: bytes,
                texts: list[str], proof: SplitProof, limit: int) -> list[Path]:
    """Write a PROVED split: OUTDIR/<stem>-1.json ... -K.json and OUTDIR/<stem>.split.json.
    Returns the parts' paths. Never called for a split that is not proved."""
    if not proof.proved:
        raise ValueError("only a proved split is written")
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / part_name(stem, k) for k in range(1, len(texts) + 1)]
    policy_file = None if policy_path in (None, "-") else os.path.relpath(
        os.path.abspath(policy_path), os.path.abspath(outdir))
    record = {
        "format": FORMAT, "version": 1,
        "tool": {"name": "verify-refine", "version": __version__},
        "policy": {"file": policy_file, "sha256": digest(policy_bytes)},
        "limit": limit,
        "parts": [{"file": p.name, "sha256": digest(t.encode("utf-8")),
                   "size": iam_size(t)} for p, t in zip(paths, texts)],
        "verdict": str(proof.verdict), "queries": proof.queries, "proved": WHAT_IS_PROVED,
    }
    with finishing():
        for path, text in zip(paths, texts):
            write_atomically(str(path), text)
        write_atomically(str(outdir / f"{stem}{SUFFIX}"), dumps(record) + "\n")
    return paths


def is_record(path: str) -> bool:
    """The file is named as a split record is (`check` reads anything else as a certificate)."""
    return str(path).endswith(SUFFIX)


def _fields(record, path: str) -> tuple[dict, list[dict], int]:
    """The record's policy, parts and limit, or bad input saying which field is wrong."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InputError(f"not a split record: `format` must be {FORMAT!r}", path)
    policy, parts, limit = record.get("policy"), record.get("parts"), record.get("limit")
    ok_part = (lambda p: isinstance(p, dict) and isinstance(p.get("file"), str)
               and isinstance(p.get("sha256"), str))
    if not (isinstance(policy, dict) and isinstance(policy.get("sha256"), str)):
        raise InputError("not a split record: `policy` must hold a `sha256`", path)
    if not (isinstance(parts, list) and parts and all(ok_part(p) for p in parts)):
        raise InputError("not a split record: `parts` must list objects with `file` and "
                         "`sha256`", path)
    if not (isinstance(limit, int) and not isinstance(limit, bool) and limit > 0):
        raise InputError("not a split record: `limit` must be a positive whole number", path)
    return policy, parts, limit


def _read_beside(record_path: str, name, what: str) -> tuple[str, bytes]:
    if name is None:
        raise InputError(f"the record names no {what} file (it was read from standard "
                         "input): give it with --original", record_path)
    if not isinstance(name, str) or not name or os.path.isabs(name):
        raise InputError(f"the record names the {what} by {name!r}: a relative path is "
                         "required", record_path)
    path = os.path.join(os.path.dirname(os.path.abspath(record_path)), name)
    return path, read_input(path, what)


def check(record_path: str, catalog: Catalog, *, policy_path: str | None = None,
          timeout_s: float = pipeline.DEFAULT_TIMEOUT_S) -> SplitProof:
    """Re-check a split record: the files' SHA-256 against the record, then the whole proof
    again (pipeline.prove_split) from the files, under the recorded limit."""
    record = load_json(read_input(record_path, "split record"), record_path)
    recorded, parts, limit = _fields(record, record_path)
    if policy_path is None:
        policy_path, policy_bytes = _read_beside(record_path, recorded.get("file"), "policy")
    else:
        policy_bytes = read_input(policy_path, "policy")
    stale = [] if digest(policy_bytes) == recorded["sha256"] else [
        f"{policy_path}: the policy is not the one split (sha256 differs)"]
    texts = []
    for part in parts:
        path, data = _read_beside(record_path, part["file"], "part")
        texts.append((path, data))
        if digest(data) != part["sha256"]:
            stale.append(f"{path}: not the part the record names (sha256 differs)")
    if stale:
        return SplitProof(Verdict.REFUTED, "; ".join(stale))
    policy = load_policy(policy_bytes, policy_path, allow_empty=True)
    loaded = [parse_policy(data, path, allow_empty=True) for path, data in texts]
    if record.get("verdict") != Verdict.PROVED:
        return SplitProof(Verdict.REFUTED, f"the record's verdict is {record.get('verdict')!r}"
                                           ", not proved")
    return pipeline.prove_split(policy, loaded, catalog, limit=limit, timeout_s=timeout_s)
