"""Re-certification: find certificates, read what each records (any format version), prove the
recorded original and findings again over today's catalog, and say what changed."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import catalog_slice, certificate, drift
from .errors import InputError, UsageError
from .files import read_input, refuse_collisions
from .iac import certified
from .inputs import catalog as catalog_mod
from .inputs import findings, guards, keep_list
from .inputs.catalog import Catalog
from .inputs.jsontext import json_position, load_json
from .inputs.model import Policy
from .inputs.wrappers import load_policy
from .spec.glob import fold
from .spec.languages import fast_match

SUFFIX = ".cert.json"


def find_certificates(paths: list[str]) -> list[str]:
    """Every certificate under the paths: a file is one, a folder is searched (all but .git,
    links to folders not followed) for *.cert.json; in order, each once."""
    found: dict[str, str] = {}
    for path in paths:
        if os.path.isfile(path):
            found.setdefault(os.path.realpath(path), path)
        elif os.path.isdir(path):
            for folder, subfolders, names in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if d != ".git")
                for name in sorted(n for n in names if n.endswith(SUFFIX)):
                    full = os.path.join(folder, name)
                    found.setdefault(os.path.realpath(full), full)
        else:
            raise InputError("no such file or folder", path)
    return list(found.values())


def read_recorded(path: str) -> dict:
    """A certificate of any version this tool wrote, for what it records: its files and its
    catalog file. Nothing else in it is trusted, so nothing else is read."""
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


def _problem(cert) -> tuple[str, tuple] | None:
    if not isinstance(cert, dict) or cert.get("format") != certificate.FORMAT:
        return f"not a {certificate.FORMAT} file", ("format",) if isinstance(cert, dict) else ()
    version = cert.get("version")
    if type(version) is not int or not 1 <= version <= certificate.VERSION:
        shown = json.dumps(version, default=str)[:40]
        return (f"certificate version {shown}; recertify reads versions 1 to "
                f"{certificate.VERSION}"), ("version",)
    files = cert.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(files.get(k), str) and files[k] for k in ("original", "unused", "refined")):
        return "the certificate does not record its original, unused and refined files", \
            ("files",)
    section = cert.get("catalog")
    if not isinstance(section, dict) or not isinstance(section.get("path"), (str, type(None))):
        return "not a certificate: catalog.path must be a string or null", ("catalog",)
    return None


@dataclass
class Job:
    """One certificate to prove again: what it records, read, and where its outputs go."""

    cert_path: str
    cert: dict
    files: dict  # original, unused, refined: paths
    catalog_spec: str | None  # today's catalog: --catalog, else the recorded file, else None
    catalog: Catalog
    original: Policy
    unused: findings.UnusedSet
    previous: Policy  # the refined policy as it is now
    previous_cert: dict | None  # the certificate, when it reads as one of this version


def prepare(cert_path: str, override: str | None, catalogs: dict) -> Job:
    """Read a certificate and every input it records (bad input here stops everything before
    anything is proved or written); `catalogs` caches catalogs by spec."""
    cert = read_recorded(cert_path)
    address = certified.addresses(cert).get("refined")
    if address is not None:  # its refined file is a template: never rewritten as JSON
        raise InputError(f"the certificate of `{address}`, a policy in a template: recertify "
                         "does not rewrite templates; run `verify-refine refine TEMPLATE "
                         "--policy ADDRESS --in-place --certificate DIR` again", cert_path)
    certificate.require_recorded_files(cert, cert_path, {"catalog": override})
    files = certificate.file_paths(cert, cert_path)
    refuse_collisions({"the refined policy": files["refined"], "the certificate": cert_path},
                      {"the original policy": files["original"],
                       "the findings": files["unused"]})
    spec = override or certificate.catalog_path(cert, cert_path)
    if spec not in catalogs:
        catalogs[spec] = catalog_mod.load(spec)
    cat = catalogs[spec]
    original = load_policy(read_input(files["original"], "policy"), files["original"])
    unused = guards.apply(findings.load(files["unused"], cat, certificate.since_days(cert))[0],
                          recorded_guards(cert, cert_path), original, cat)
    previous = load_policy(read_input(files["refined"], "refined policy"), files["refined"],
                           allow_empty=True)
    try:
        current_version = certificate.read(cert_path)
    except InputError:  # an older version, or one that no longer checks: proved anew anyway
        current_version = None
    return Job(cert_path, cert, files, spec, cat, original, unused, previous, current_version)


def recorded_guards(cert: dict, cert_path: str) -> guards.Guards | None:
    """The guards a certificate records, with today's built-in keep list in place of the one
    it was made with (proving again takes today's); bad input when they are malformed."""
    try:
        recorded = certificate.guards(cert)
    except ValueError as exc:
        data = read_input(cert_path, "certificate")
        raise InputError(f"not a certificate: {exc}", cert_path,
                         *json_position(data, cert_path, ("guards",))) from None
    if recorded is None:
        return None
    return dataclasses.replace(recorded, builtin_version=keep_list.VERSION,
                               builtin_sha256=keep_list.digest())


def refuse_shared_outputs(jobs: list[Job]) -> None:
    """Two certificates that name one refined policy would overwrite each other's."""
    seen: dict[str, str] = {}
    for job in jobs:
        key = os.path.realpath(job.files["refined"])
        if key in seen:
            raise UsageError(f"recertify: {seen[key]} and {job.cert_path} name the same refined "
                             f"policy `{job.files['refined']}`")
        seen[key] = job.cert_path


def allowed(policy: Policy, catalog: Catalog) -> set[str]:
    """The catalog actions (folded) some Allow statement of the policy grants, whatever its
    resources and conditions."""
    out: set[str] = set()
    everything = catalog.with_prefix("")
    for stmt in policy.statements:
        if stmt.effect != "Allow":
            continue
        if stmt.action_key == "NotAction":
            out.update(a for a in everything
                       if not any(fast_match(p.text, a) for p in stmt.patterns))
        else:
            for p in stmt.patterns:
                out.update(catalog.matching(p.text))
    return out


@dataclass
class Change:
    """What proving again changed: entries of the refined policy, and actions it admits."""

    added: list[str]  # entries, as written
    removed: list[str]
    admitted: list[str]  # actions (today's spelling) it grants that it did not grant before

    def describe(self) -> str:
        parts = [f"{sign}{drift.count(len(items), 'entry', 'entries')}"
                 + (f" ({drift.names(items)})" if items else "")
                 for sign, items in (("+", self.added), ("-", self.removed))]
        if not self.added and not self.removed:
            parts = ["the same entries"]
        if self.admitted:
            parts.append(f"newly admitted: {drift.names(self.admitted)}")
        return ", ".join(parts)


def change(job: Job, refined: Policy) -> Change:
    """Entries added and removed, and the actions of today's catalog the new refined policy
    grants that the old one did not, or that were published since the old certificate's slice
    (the old proof never covered them)."""
    now = allowed(refined, job.catalog)
    gained = now - allowed(job.previous, job.catalog)
    if job.previous_cert is not None:
        old = catalog_slice.catalog_of(job.previous_cert)
        today = drift.today(old, job.catalog)
        gained |= now & (set(today.with_prefix("")) - set(old.with_prefix("")))
    return Change(*drift.entries_diff(job.previous, refined),
                  sorted((job.catalog.canonical(a) or a for a in gained), key=fold))


def up_to_date(job: Job, new_cert: dict) -> bool:
    """The certificate already says what the new one says, but for who wrote it and how long
    each query took (so an unchanged certificate is not rewritten for its timings alone)."""
    def essence(cert: dict) -> dict:
        cert = json.loads(json.dumps(cert))
        kept = {k: v for k, v in cert.items() if k not in ("tool", "solver")}
        kept["obligations"] = [{k: v for k, v in ob.items() if k != "seconds"}
                               for ob in cert["obligations"]]
        return kept

    return job.previous_cert is not None and essence(job.previous_cert) == essence(new_cert)


def relative_name(path: str) -> str:
    """A path as the user would type it from here."""
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:
        return path
