"""The CI gate's review of a tree: every certificate under the paths must check; every refined
policy needs one. Returns what it found; commands/gate.py reports it."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..files import read_input
from ..report import gate as gatereport
from ..report.gate import display as _display
from ..verdict import Exit, Problem, Verdict, verdict_of
from . import changed as changed_files
from . import check as gatecheck
from . import claims, on_dask, parallel
from . import walk as gatewalk
from .globs import compile_glob
from .walk import CERT_SUFFIX
from .walk import key as _key

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_UNKNOWN = Exit.OK, Exit.REFUTED, Exit.INPUT, Exit.UNKNOWN
DEFAULT_REQUIRE = "**/*.refined.json"
COVERING = ("valid", changed_files.UNCHANGED)  # a certificate that covers its refined file


@dataclass
class Review:
    """What the gate found: every certificate's outcome, every required file with what covers
    it, the problems (located), notes for the report, the summary and the exit code."""

    root: str
    exclusions: list
    outcomes: list
    required_rows: list
    problems: list[Problem]
    head: list[tuple[str, str]]
    notes: list[tuple[str, str]]
    summary: dict
    code: int


def review(args, progress=None) -> Review:
    """Walk the paths under the root, check every certificate (args.jobs at a time, or on
    the Dask cluster of args.scheduler; under args.changed, only those the changed files
    touch), require the required files to be covered; args carries the gate's options (paths, root, exclude, require, catalog, solver,
    timeout, jobs, warn_only, allow_empty, changed). progress(total) makes the object told of
    each certificate checked (gate.progress.Progress), when given."""
    roots = args.paths or ["."]
    changed = None
    if getattr(args, "changed", False):
        roots, changed = changed_files.split(roots)
    require = args.require or [DEFAULT_REQUIRE]
    patterns = [compile_glob(g, "--require") for g in require]
    exclusions = [gatewalk.Exclusion(g, compile_glob(g, "--exclude")) for g in args.exclude]
    root = gatewalk.find_root(args.root)
    tree = gatewalk.collect(roots, root, patterns, exclusions)
    certs, required = list(tree.certs.values()), list(tree.required.values())
    outcomes = _check(args, certs, root, changed, progress)
    all_findings = [Problem(p.rule, p.message, file=p.path, line=1, column=1)
                    for p in tree.problems.values()]
    all_findings += [f for o in outcomes for f in o.problems]

    required_rows = _cover(required, outcomes, all_findings)
    counts = _counts(outcomes, required_rows)
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
    elif verdict_of(all_findings) is Verdict.REFUTED:
        code = EXIT_FAILED
    elif counts["unknown"]:
        code = EXIT_UNKNOWN
    else:
        code = EXIT_OK
    would_be = code
    if args.warn_only and code in (EXIT_FAILED, EXIT_UNKNOWN):
        code = EXIT_OK
    all_findings.sort(key=lambda f: (_display(f.file), f.line, f.column, f.rule, f.message))

    summary = dict(counts, problems=len(all_findings), warn_only=bool(args.warn_only),
                   empty=empty, status="empty" if empty else _status(would_be), exit_code=code)
    return Review(root, exclusions, outcomes, required_rows, all_findings, head, notes,
                  summary, code)


def _check(args, certs: list[str], root: str, changed: list[str] | None,
           progress) -> list[gatecheck.CertOutcome]:
    """Every certificate's outcome, in the order found: checked, or (under --changed, when no
    file of it changed) unchanged; then each one sharing its refined file with another fails."""
    checker = gatecheck.Checker(gatecheck.Catalogs(args.catalog), args, root)
    to_check, unchanged = (certs, []) if changed is None else \
        changed_files.select(certs, changed, args.catalog, root)
    ticker = progress(len(to_check)) if progress else _Silent()
    if getattr(args, "scheduler", None):
        outcomes = on_dask.check_all(checker, to_check, args.scheduler, ticker)
    else:
        outcomes = parallel.check_all(checker, to_check, getattr(args, "jobs", 1), ticker)
    ticker.finish()
    order = {path: i for i, path in enumerate(certs)}
    outcomes = sorted(outcomes + unchanged, key=lambda o: order[o.path])
    claims.refuse_shared(outcomes)
    return outcomes


def _counts(outcomes, required_rows) -> dict:
    """Each certificate once: checked (valid, failed: invalid or unreadable, or unknown) or,
    under --changed, unchanged and not checked; each required file once: covered by a valid
    (or unchanged) certificate, named only by certificates that failed (counted with them), or
    uncovered (no certificate names it)."""
    unchanged = sum(o.status == changed_files.UNCHANGED for o in outcomes)
    return {"certificates": len(outcomes) - unchanged,
            "valid": sum(o.status == "valid" for o in outcomes),
            "failed": sum(o.status in ("invalid", "unreadable") for o in outcomes),
            "unknown": sum(o.status == "unknown" for o in outcomes),
            "unchanged": unchanged,
            "required": len(required_rows),
            "covered": sum(row[1] is not None for row in required_rows),
            "uncovered": sum(not row[2] for row in required_rows)}


def _cover(required: list[str], outcomes, problems: list[Problem]) -> list[tuple]:
    """Each required file with the certificate that covers it (valid, or None) and every one
    that names it; a file no certificate names is a problem."""
    from ..inputs.policy import parse_policy

    covering: dict[str, list[gatecheck.CertOutcome]] = {}
    for o in outcomes:
        if o.refined:
            covering.setdefault(_key(o.refined), []).append(o)
    rows = []
    for path in required:
        named = covering.get(_key(path), [])
        rows.append((path, next((o for o in named if o.status in COVERING), None), named))
        if not named:
            line, column = _policy_position(path, parse_policy)
            problems.append(Problem(
                "VR-missing-certificate",
                f"no certificate names this policy as its refined file; write one with "
                f"`verify-refine refine ORIGINAL --unused FINDINGS -o {_display(path)} "
                f"--certificate CERT`", file=path, line=line, column=column))
    return rows


class _Silent:
    """Progress that says nothing (a caller that gave none)."""

    def advance(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


def _status(code: int) -> str:
    return {EXIT_OK: "pass", EXIT_FAILED: "fail", EXIT_UNKNOWN: "unknown",
            EXIT_INPUT: "empty"}[code]


def _policy_position(path: str, parse_policy) -> tuple[int, int]:
    """The first statement of a policy file, or where it fails to parse; 1:1 when neither."""
    try:
        policy = parse_policy(read_input(path, "refined policy"), path, allow_empty=True)
    except InputError as exc:
        return exc.line or 1, exc.column or 1
    span = policy.statements[0].span if policy.statements else policy.statement_span
    return (span.line, span.column) if span else (1, 1)
