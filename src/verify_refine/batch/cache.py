"""The proof cache: proved results kept in a plain folder under the hash of what they depend on, re-checked by hash before use."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .. import __version__, catalog_slice, certificate
from ..errors import InputError
from ..inputs import json_fast
from ..inputs.catalog import Catalog
from ..inputs.findings import UnusedSet
from ..inputs.guards import Guards
from ..inputs.guards import apply as apply_guards
from ..inputs.jsontext import MAX_DEPTH, decode
from ..inputs.policy import parse_policy

LAYOUT = "proofs-v3"  # the folder under the cache directory; a new layout gets a new name


def default_folder() -> Path:
    """$XDG_CACHE_HOME/verify-refine, else ~/.cache/verify-refine."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "verify-refine"


def key(policy: bytes, unused: UnusedSet, guards: Guards | None, catalog_digest: str,
        timeout: float, fit: tuple = (None, False)) -> str:
    """The sha256 naming a result: of the policy's bytes, the unused set as its digest binds
    it and the names the data keeps (with their reasons), the guards, the whole catalog, the
    tool's version and the solver timeout."""
    data = {"policy": hashlib.sha256(policy).hexdigest(),
            "unused": unused.canonical_json().decode(),
            "kept": [[k.name, k.reason] for k in unused.kept],
            "since_days": unused.since_days,
            "guards": None if guards is None else guards.as_json(),
            "catalog": catalog_digest, "tool": __version__, "timeout": timeout,
            **({"fit": list(fit)} if fit != (None, False) else {})}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class ProofCache:
    """Entries {"row", "refined", "cert"}, OUTDIR-independent, each in a file under its key
    (entry_bytes). A certificate is stored with the services of its catalog slice in place of
    the slice (most of its bytes), and a hit gets today's slice back when its hash is the one
    recorded. `folder` None: no cache (every look-up misses, nothing is stored)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.hits = self.misses = 0
        self.notes: list[str] = []  # to warn about: entries refused, a failed write

    def path(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / LAYOUT / name[:2] / f"{name}.json"

    def lookup(self, name: str, policy: bytes, source: str, unused: UnusedSet,
               guards: Guards | None, catalog: Catalog, timeout: float) -> dict | None:
        """The entry stored under `name` when it is a proved certificate whose recorded hashes
        are those of these inputs; None (a miss) otherwise, a refused entry noted once."""
        if self.folder is None:
            return None
        path = self.path(name)
        try:
            entry = read_entry(path.read_bytes(), name)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError) as exc:
            return self._refuse(path, f"unreadable ({exc})")
        except EntryError as exc:
            return self._refuse(path, str(exc))
        problem = mismatch(entry, policy, source, unused, guards, catalog, timeout)
        if problem:
            return self._refuse(path, problem)
        section = entry["cert"]["catalog"]  # its slice's hash is today's slice's: put it back
        section["slice"] = catalog_slice.today(catalog, section["slice"])[0]
        self.hits += 1
        return entry

    def _refuse(self, path: Path, why: str) -> None:
        self.misses += 1
        self.notes.append(f"cache entry {path} not used, proving again: {why}")
        return None

    def store(self, name: str, entry: dict) -> str | None:
        """Keep a proved entry (others are proved again next time): written under a temporary
        name and renamed, so a concurrent reader or writer sees a whole entry or none. Returns
        why it could not be written, or None."""
        if self.folder is None or entry["cert"] is None or entry.get("split"):
            return None  # a split's parts are proved each run: the cache checks no parts
        path = self.path(name)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{name[:16]}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(entry_bytes(name, stored_form(entry)))
            os.replace(tmp, path)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            return f"cannot write the proof cache {self.folder}: {exc.strerror or exc}"
        return None


def stored_form(entry: dict) -> dict:
    """A proved entry as the cache keeps it: its certificate's catalog slice replaced by the
    list of its services (the slice's hash, kept, tells whether today's slice is the same)."""
    cert = entry["cert"]
    section = cert["catalog"]
    return dict(entry, cert=dict(cert, catalog=dict(section, slice=list(section["slice"]))))


class EntryError(Exception):
    """A stored entry that is not one this tool wrote under its name."""


BODY = ("row", "refined", "cert")  # what an entry keeps; its header names and checksums it


def entry_bytes(name: str, entry: dict) -> bytes:
    """An entry as stored: a header line, {"key", "sha256"}, then the body, the JSON of its
    row, refined text and certificate, which the header's sha256 is of (so a look-up checks
    the bytes as read, and a corrupted entry is found out even where the certificate's own
    hashes do not reach)."""
    body = json.dumps({part: entry.get(part) for part in BODY}, ensure_ascii=False) \
        .encode("utf-8", "surrogatepass")
    header = json.dumps({"key": name, "sha256": hashlib.sha256(body).hexdigest()})
    return header.encode("ascii") + b"\n" + body


def read_entry(data: bytes, name: str) -> dict:
    """The body of a stored entry, when its header names it `name` and holds the sha256 of
    its bytes (EntryError otherwise; ValueError when a part is not JSON)."""
    head, newline, body = data.partition(b"\n")
    header = json.loads(head) if newline else None
    if not isinstance(header, dict) or header.get("key") != name:
        raise EntryError("not an entry of this key")
    if header.get("sha256") != hashlib.sha256(body).hexdigest():
        raise EntryError("its content does not match its checksum")
    return json.loads(body)


def mismatch(entry, policy: bytes, source: str, unused: UnusedSet, guards: Guards | None,
             catalog: Catalog, timeout: float) -> str | None:
    """Why a cached entry's body (read_entry) is not a proved certificate of these inputs
    (None: it is): its shape and verdict; the tool version and timeout; the hashes it records
    of the original, the unused set after the guards, the refined text and the catalog slice,
    each recomputed from the inputs of this run."""
    if not isinstance(entry, dict):
        return "incomplete"
    cert, refined, row = entry.get("cert"), entry.get("refined"), entry.get("row")
    if not isinstance(cert, dict) or not isinstance(refined, str) or not isinstance(row, dict):
        return "incomplete"
    stale = _slice_problem(cert, catalog) or _fields_problem(cert, row)
    if stale:
        return stale
    if cert.get("tool", {}).get("version") != __version__ or \
            cert.get("solver", {}).get("timeout_s") != timeout:
        return "made by another version or with another timeout"
    try:
        original_digest = _digest(policy, False)
        # only --keep-sid reads the policy itself (the Sids of its statements)
        original = _read(policy) if guards is not None and guards.keep_sid is not None \
            else None
        after_guards = apply_guards(unused, guards, original, catalog)
        refined_digest = _digest(refined.encode("utf-8"), True)
    except InputError as exc:
        return f"its inputs do not read: {exc}"
    recorded = cert["sha256"]
    if recorded["original"] != original_digest or \
            recorded["unused"] != after_guards.digest() or \
            recorded["refined"] != refined_digest:
        return "its recorded hashes are not those of the policy, findings and refined text"
    return None


def _fields_problem(cert: dict, row: dict) -> str | None:
    """Why the fields a hit reads are not there as a proved certificate has them (None: they
    are). The entry's checksum has shown it is the one this tool wrote after proving it,
    which `certificate.shape_problem` accepted then: its whole shape is not walked again."""
    if cert.get("format") != certificate.FORMAT or cert.get("version") != certificate.VERSION:
        return "not a certificate of this version"
    hashes = cert.get("sha256")
    if not isinstance(hashes, dict) or not all(isinstance(hashes.get(k), str) for k in
                                               ("original", "unused", "refined")):
        return "not a certificate: no recorded hashes"
    if not isinstance(cert.get("tool"), dict) or not isinstance(cert.get("solver"), dict):
        return "made by another version or with another timeout"
    if cert.get("verdict") != "proved" or row.get("verdict") not in ("proved", "detach"):
        return "not a proved result"
    return None


def _slice_problem(cert: dict, catalog: Catalog) -> str | None:
    """Why the catalog slice a stored certificate names (stored_form: the list of its
    services) is not today's catalog's slice of those services with the hash it records
    (None: it is)."""
    section = cert.get("catalog")
    services = section.get("slice") if isinstance(section, dict) else None
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        return "not a certificate: no catalog slice"
    today, today_digest = catalog_slice.today(catalog, services)
    if list(today) != services or section.get("slice_sha256") != today_digest:
        return "its catalog slice is not today's catalog"
    return None


@functools.lru_cache(maxsize=512)
def _read(data: bytes):
    """A policy's bytes parsed: once per distinct text in a run (an AWS managed policy is
    attached to many principals)."""
    return parse_policy(data, "<cached policy>")


@functools.lru_cache(maxsize=4096)
def _digest(data: bytes, allow_empty: bool) -> str:
    """The digest a certificate records of a policy's text, certificate.policy_digest of it
    parsed: computed from its JSON value when the standard library reads it as the grammar
    does (the value parse_policy keeps as its members), else from parse_policy itself. Once
    per distinct text in a run (a refined text is shared by every principal with the same
    result)."""
    read, value = json_fast.values(decode(data, "<cached policy>"), MAX_DEPTH)
    if read and isinstance(value, dict):
        return certificate.document_digest(value)
    return certificate.policy_digest(parse_policy(data, "<cached policy>",
                                                 allow_empty=allow_empty))
