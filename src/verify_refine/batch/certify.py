"""One policy of a batch: refine, prove and certify it through the pipeline, writing its files
only when proved; and the account's findings and originals laid out under OUTDIR."""

from __future__ import annotations

import json
from pathlib import Path

from .. import pipeline
from ..errors import InputError
from ..files import write_atomically
from ..inputs import findings
from ..inputs.account import SKIP_TAG, Account
from ..inputs.findings import UnusedSet
from ..inputs.guards import Guards
from ..inputs.guards import apply as apply_guards
from ..inputs.policy import parse_policy
from ..jsonout import canonical
from ..report import document, size, usage
from ..report import summary as report
from . import aws_managed, outpaths


def iam_size(document) -> int:
    """A policy's size as IAM counts it against its quotas: the characters of its compact JSON
    that are not whitespace (IAM's quotas are "in non-whitespace characters")."""
    return size.iam_size(canonical(document).decode("utf-8"))


def refine_and_certify(policy_bytes: bytes, source: str, unused: UnusedSet, catalog,
                       out_policy_path: str, out_cert_path: str, timeout: float, *,
                       unused_path: str, catalog_path: str | None = None,
                       guards: Guards | None = None) -> dict:
    """Refine, prove and certify one policy as `verify-refine refine -o --certificate` does,
    through the same pipeline (the proof kernel included), after the guards; writes the
    refined policy and its certificate only when proved. Returns the row's figures, verdict,
    error (an InputError becomes verdict "error") and the kept names by reason."""
    row = {"entries_before": "", "entries_after": "", "catalog_actions_removed": "",
           "size_before": "", "size_after": "", "verdict": "error", "error": "",
           "warnings": [], "kept": {}}
    try:
        policy = parse_policy(policy_bytes, source)
        unused = apply_guards(unused, guards, policy, catalog)
        row["kept"] = usage.kept_by_reason(unused, usage.granted(policy, catalog))
        row["size_before"] = iam_size(document.original_document(policy))
        done = pipeline.refine_and_prove(policy, unused, catalog, timeout_s=timeout,
                                         refined_source=out_policy_path)
    except InputError as exc:
        row["error"] = str(exc)
        return _discard(row, out_policy_path, out_cert_path)
    result = done.refinement
    row.update(_figures(result), size_after=iam_size(document.refined_document(result)),
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


def prepare(account: Account, cat, outdir: Path, args):
    """Load each principal's findings (its part of a file about several, or the file), copy
    them and write the original documents under OUTDIR. Returns the tasks to run, the rows
    already decided (by id of task), and the skipped."""
    rows: dict[int, dict] = {}
    tasks, skipped = [], []
    having = {id(t.principal) for t in account.tasks}
    for who in account.principals:
        if id(who) not in having:
            skipped.append(f"{who.kind} `{who.name}`: no inline or customer-managed policy")
            continue
        if who.skip:
            skipped.append(f"{who.kind} `{who.name}`: tagged {SKIP_TAG}")
            continue
        if who.findings is None and not who.problem:
            skipped.append(f"{who.kind} `{who.name}`: no findings")
            continue
        outpaths.make_folder(outdir, who.folder)
        if who.problem:
            continue
        try:
            who.unused, who.warnings = _load(who, cat, args)
        except InputError as exc:
            who.problem = str(exc)
            continue
        copy = outpaths.inside(outdir, who.folder, outpaths.findings_copy(who.findings))
        write_atomically(str(copy), who.unused.findings_bytes())  # the bytes read, once
        who.unused_path = str(copy)
    for task in account.tasks:
        who = task.principal
        if not who.selected:
            continue
        if who.problem or task.document is None:
            rows[id(task)] = (None if who.problem else aws_managed.absent_row(task)) or \
                {"verdict": "error", "error": who.problem or task.problem}
            continue
        write_atomically(str(outpaths.policy_files(outdir, task)[0]), task.document)
        tasks.append(task)
    return tasks, rows, skipped


def _load(who, cat, args) -> tuple[UnusedSet, list[str]]:
    """A principal's unused set, by the same rules as refine: its status open (unless
    --include-resolved), something unused (unless --allow-nothing-unused)."""
    if who.findings_part is None:
        name = str(who.findings)
        unused, warnings = findings.load(name, cat, args.unused_since)
    else:
        name = f"{who.findings} (its findings about {who.arn})"
        unused, warnings = findings.from_bytes(who.findings_part, name, cat, args.unused_since)
    findings.require_open(unused, name, args.include_resolved,
                          located=who.findings_part is None)
    findings.require_something(unused, name, args.allow_nothing_unused)
    return unused, warnings
