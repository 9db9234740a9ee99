"""The gate's check of one certificate: read it and the files it records (inside the root only),
re-check it through the pipeline, and place every problem at a file, line and column."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog_slice, certificate, drift, pipeline
from ..errors import InputError
from ..files import read_input
from ..iac import certified
from ..inputs import catalog as catalog_mod
from ..inputs import findings as findings_mod
from ..inputs.jsontext import json_position
from ..inputs.policy import parse_policy
from ..inputs.wrappers import load_policy
from ..report.gate import display
from ..verdict import Problem, Verdict, verdict_of
from . import recorded as recorded_files
from . import stale_at


@dataclass
class CertOutcome:
    """What checking one certificate gave."""

    path: str
    status: str = "valid"  # valid, invalid, unknown, unreadable
    refined: str | None = None
    address: str | None = None  # the refined policy's address in a template (refined file)
    obligations: int = 0
    problems: list[Problem] = field(default_factory=list)


class Catalogs:
    """Catalogs by path, loaded once per run; --catalog, when given, is loaded up front."""

    def __init__(self, override: str | None):
        self.override = override
        self.loaded: dict[str | None, object] = {}
        if override is not None:
            self.loaded[override] = catalog_mod.load(override)  # bad --catalog: exit 2

    def get(self, recorded: str | None):
        spec = self.override if self.override is not None else recorded
        if spec not in self.loaded:
            try:
                self.loaded[spec] = catalog_mod.load(spec)
            except InputError as exc:
                self.loaded[spec] = exc
        value = self.loaded[spec]
        if isinstance(value, InputError):
            raise value
        return value


class Checker:
    """Checks one certificate at a time, as `verify-refine check` does, into located problems."""

    def __init__(self, catalogs: Catalogs, args, root: str):
        self.catalogs = catalogs
        self.args = args
        self.root = root

    def check(self, cert_path: str) -> CertOutcome:
        out = CertOutcome(cert_path)
        try:
            self._check(cert_path, out)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - a malformed certificate fails, never crashes
            out.problems.append(Problem("VR-unreadable", f"malformed certificate: cannot be "
                                        f"checked ({type(exc).__name__}: {exc})",
                                        file=cert_path, line=1, column=1))
        verdict = verdict_of(out.problems)  # a warning (drift) leaves it valid
        if any(p.rule == "VR-unreadable" for p in out.problems):
            out.status = "unreadable"
        elif verdict is not Verdict.PROVED:
            out.status = "invalid" if verdict is Verdict.REFUTED else "unknown"
        out.problems = [p.at(p.file, p.line, p.column, cert_path) for p in out.problems]
        return out

    def _check(self, cert_path: str, out: CertOutcome) -> None:
        def fail(rule, message, file=cert_path, line=None, column=None):
            out.problems.append(Problem(rule, message, file=file, line=line or 1,
                                        column=column or 1))

        try:
            cert = certificate.read(cert_path)
        except InputError as exc:
            return fail("VR-unreadable", f"unreadable certificate: {exc.message}", cert_path,
                        exc.line, exc.column)
        recorded = certificate.file_paths(cert, cert_path)
        at = certified.addresses(cert)
        out.refined, out.address = recorded.get("refined"), at.get("refined")
        missing = [n for n in ("original", "unused", "refined") if n not in recorded]
        if missing:
            return fail("VR-unreadable", f"the certificate records no {' or '.join(missing)} "
                        "file")
        names = [n for n in recorded_files.RECORDED if n != "catalog" or not self.args.catalog]
        refused = recorded_files.refusals(cert, cert_path, self.root, names)
        if refused:  # nothing outside the root, and nothing but a regular file, is opened
            data = read_input(cert_path, "certificate")
            for refusal in refused:
                fail(refusal.rule, refusal.message, cert_path,
                     *json_position(data, cert_path, refusal.at))
            return None

        def input_problem(exc: InputError, what: str, recorded_as) -> None:
            source = exc.source or cert_path
            if exc.message == "no such file" or not Path(source).exists():
                fail("VR-input", f"the {what} file {display(source)} recorded by the "
                     f"certificate: {exc.message}", cert_path,
                     *position_of(cert_path, recorded_as))
            else:
                fail("VR-input", f"{what}: {exc.message}", source, exc.line, exc.column)

        catalog_file = certificate.catalog_path(cert, cert_path)
        try:
            cat = self.catalogs.get(catalog_file)
        except InputError as exc:
            return input_problem(exc, "catalog", (cert.get("catalog") or {}).get("path"))
        files = cert.get("files") or {}
        loaded = {}  # the findings spelled as the slice the proof is about spells them
        for name, load in _readers(cert, at):
            try:
                loaded[name] = load(recorded[name])
            except InputError as exc:
                input_problem(exc, f"{name} {'set' if name == 'unused' else 'policy'}",
                              files.get(name))
        if out.problems:
            return None
        result = pipeline.check_certificate(
            cert, original=loaded["original"], refined=loaded["refined"],
            unused=loaded["unused"], current=cat, solver=self.args.solver,
            timeout_s=self.args.timeout, files=recorded)
        out.obligations = result.obligations
        where = Locator(cert, cert_path, recorded, loaded)
        out.problems += [where.place(p) for p in result.problems]
        out.problems += self._drift(result, cat, loaded, recorded, where)
        return None

    def _drift(self, result, current, loaded: dict, recorded: dict, where) -> list[Problem]:
        """The catalog drift of a certificate that checks: a warning, or an error under
        --fail-on-drift; none when today's catalog has the slice's very names (or when the
        certificate does not check: then that is what matters)."""
        if result.verdict is not Verdict.PROVED:
            return []
        found = drift.find(result.catalog, current, loaded["original"], loaded["refined"],
                           result.unused, recorded["unused"])
        if found is None:
            return []
        return [where.place(drift.problem(found, display(where.cert_path), recorded["refined"],
                                          loaded["refined"],
                                          getattr(self.args, "fail_on_drift", False)))]


def _readers(cert: dict, at: dict) -> tuple:
    """(name, reader of that file) for the original, the refined and the unused set; AT has
    the addresses of a template's policies."""
    return (("original", _original(at.get("original"))),
            ("refined", _refined(at.get("refined"))),
            ("unused", lambda p: findings_mod.load(p, catalog_slice.catalog_of(cert),
                                                   certificate.since_days(cert))[0]))


def _original(address: str | None):
    """The reader of the original: a policy file, or the policy at ADDRESS of a template."""
    if address is not None:
        return lambda path: certified.load(path, address, "policy")
    return lambda path: load_policy(read_input(path, "policy"), path)


def _refined(address: str | None):
    if address is not None:
        return lambda path: certified.load(path, address, "refined policy", allow_empty=True)
    return lambda path: parse_policy(read_input(path, "refined policy"), path,
                                     allow_empty=True)


class Locator:
    """Where in the files a problem points: the statement it is about (in the refined policy
    when it is there, else in the original), the obligation in the certificate, or the first
    statement of the file it names."""

    def __init__(self, cert: dict, cert_path: str, recorded: dict, loaded: dict):
        """loaded: the original and refined policies and the unused set, read from the files."""
        original, refined = loaded["original"], loaded["refined"]
        self.cert, self.unused = cert, loaded["unused"]
        self.cert_path = cert_path
        self.recorded = recorded
        self.policies = {recorded["original"]: original, recorded["refined"]: refined}
        self.original, self.refined = original, refined
        self.in_template = bool(certified.addresses(cert).get("refined"))
        hints = cert.get("hints") if isinstance(cert.get("hints"), dict) else {}
        rows = hints.get("statements") if isinstance(hints.get("statements"), list) else []
        self.refined_index = {row["original"]: row.get("refined") for row in rows
                              if isinstance(row, dict) and isinstance(row.get("original"), int)}

    def place(self, p: Problem) -> Problem:
        if p.line is not None:  # already located
            return p
        if p.certificate_at is not None:
            return p.at(self.cert_path, *certificate.position(self.cert_path, p.certificate_at))
        if p.rule == "VR-certificate":
            return p.at(self.cert_path, *position_of(self.cert_path, p.obligation))
        if p.file is not None:  # a stale input: the statement edited, else where it starts
            if p.file == self.recorded["refined"] and self.in_template:
                # a template's policy edited after certification: at the statement edited
                edited = stale_at.edited_statement(self.cert, self.original, self.refined,
                                                   self.unused)
                if edited is not None:
                    return p.at(*self.statement(edited))
            if p.file == self.recorded["original"]:
                edited = stale_at.edited_statement(self.cert, self.original, self.refined,
                                                   self.unused)
                span = self.original.statements[edited].span if edited is not None else None
                if span:
                    return p.at(p.file, span.line, span.column)
            return p.at(p.file, *self.first_statement(p.file))
        if p.statement is not None:
            return p.at(*self.statement(p.statement))
        return p.at(self.recorded["refined"], *self.first_statement(self.recorded["refined"]))

    def first_statement(self, path: str) -> tuple[int, int]:
        policy = self.policies.get(path)
        if policy is None:
            return 1, 1
        span = policy.statements[0].span if policy.statements else policy.statement_span
        return (span.line, span.column) if span else (1, 1)

    def statement(self, index: int) -> tuple[str, int, int]:
        """Original statement `index` (0-based): its refined counterpart, else the original."""
        j = self.refined_index.get(index)
        if isinstance(j, int) and 0 <= j < len(self.refined.statements) \
                and self.refined.statements[j].span:
            span = self.refined.statements[j].span
            return self.recorded["refined"], span.line, span.column
        if 0 <= index < len(self.original.statements) and self.original.statements[index].span:
            span = self.original.statements[index].span
            return self.recorded["original"], span.line, span.column
        path = self.recorded["refined"]
        return (path,) + self.first_statement(path)


def position_of(cert_path: str, text: str | None, key: bool = False) -> tuple[int, int]:
    """Line and column of a JSON string (a recorded path, an obligation id) in the certificate."""
    if not isinstance(text, str):
        return 1, 1
    try:
        content = read_input(cert_path, "certificate").decode("utf-8-sig")
    except (InputError, UnicodeDecodeError):
        return 1, 1
    needle = json.dumps(text, ensure_ascii=False) + (":" if key else "")
    offset = content.find(needle)
    if offset < 0 and not key:
        offset = content.find(json.dumps(text))
    if offset < 0:
        return 1, 1
    line_start = content.rfind("\n", 0, offset) + 1
    return content.count("\n", 0, offset) + 1, offset - line_start + 1
