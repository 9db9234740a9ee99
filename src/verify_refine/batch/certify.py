"""One policy of a batch: refine, prove and certify it through the pipeline, writing its files
only when proved; and the account's findings and originals laid out under OUTDIR."""

from __future__ import annotations

from pathlib import Path

from .. import fitting, pipeline
from ..errors import InputError
from ..files import write_if_changed
from ..inputs import findings
from ..inputs.account import SKIP_TAG, Account
from ..inputs.findings import UnusedSet
from ..inputs.guards import Guards
from ..inputs.guards import apply as apply_guards
from ..inputs.policy import parse_policy
from ..jsonout import canonical
from ..report import document, size, usage
from ..report import summary as report
from . import aws_managed, outpaths, results


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
    entry = certify_entry(policy_bytes, source, unused, catalog, timeout,
                          refined_source=out_policy_path, guards=guards)
    return results.place(entry, results.Destination(
        original=source, unused=unused_path, refined=out_policy_path, cert=out_cert_path,
        catalog=catalog_path), unused)


def certify_entry(policy_bytes: bytes, source: str, unused: UnusedSet, catalog,
                  timeout: float, *, refined_source: str, guards: Guards | None = None,
                  fit: int | None = None, allow_oversize: bool = False) -> dict:
    """What refine_and_certify computes, written nowhere: {"row", "refined", "cert"}, the
    refined text and certificate only when proved (the certificate's file names are
    placeholders that results.place replaces with the real ones)."""
    row = {"entries_before": "", "entries_after": "", "catalog_actions_removed": "",
           "size_before": "", "size_after": "", "verdict": "error", "error": "",
           "warnings": [], "kept": {}}
    entry = {"row": row, "refined": None, "cert": None}
    try:
        policy = parse_policy(policy_bytes, source)
        unused = apply_guards(unused, guards, policy, catalog)
        row["kept"] = usage.kept_by_reason(unused, usage.granted(policy, catalog))
        row["size_before"] = iam_size(document.original_document(policy))
        done = pipeline.refine_and_prove(policy, unused, catalog, timeout_s=timeout,
                                         refined_source=refined_source, fit=fit)
    except InputError as exc:
        row["error"] = str(exc)
        return entry
    result = done.refinement
    row.update(_figures(result), size_after=iam_size(document.refined_document(result)),
               warnings=list(result.warnings))
    if not done.proved:
        row.update(verdict=str(done.verdict),
                   error="; ".join(report.problem_line(p) for p in done.problems))
        return entry
    done = _fitted(done, allow_oversize, entry)
    if done is None:
        return entry
    entry["cert"] = done.certificate(cert_path="cert.json", original_path="original.json",
                                     unused_path="unused.json", refined_path="refined.json",
                                     catalog_path=None)
    entry["refined"] = done.text
    row["verdict"] = "detach" if result.detach else "proved"
    return entry


def _fitted(done, allow_oversize: bool, entry: dict):
    """With --fit: the refinement to write (the minimal one, a fitted cover, or the cover a
    proved split is made of, its parts in entry["split"]), or None when it does not fit (the
    row says why; nothing is written)."""
    if done.fitting is None:
        return done
    fitted = fitting.outcome(done, allow_oversize)
    row = entry["row"]
    row["warnings"] += fitted.warnings
    if fitted.error:
        row["error"] = fitted.error
        return None
    if fitted.split is not None:
        done = fitted.replacement
        row["size_after"] = iam_size(document.refined_document(done.refinement))
        row["warnings"] += fitted.lines
        entry["split"] = {"texts": fitted.split.texts, "queries": fitted.split.proof.queries,
                          "limit": fitted.limit}
    return done


def _figures(result) -> dict:
    before, after, entries_before, entries_after = set(), set(), 0, 0
    for r in result.statements:
        sets = report.statement_sets(result, r)
        fig = report.statement_figures(result, r, sets)
        entries_before += fig["entries_before"]
        entries_after += fig["entries_after"]
        if r.statement.effect == "Allow":
            before |= sets[0]
            after |= sets[1]
    return {"entries_before": entries_before, "entries_after": entries_after,
            "catalog_actions_removed": len(before - after)}


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
        # copies of inputs, no fsync: a re-run writes again any that a crash lost or tore
        # (and a certificate never checks against a torn one)
        write_if_changed(str(copy), who.unused.findings_bytes(), sync=False)  # as read, once
        who.unused_path = str(copy)
    for task in account.tasks:
        who = task.principal
        if not who.selected:
            continue
        if who.problem or task.document is None:
            rows[id(task)] = (None if who.problem else aws_managed.absent_row(task)) or \
                {"verdict": "error", "error": who.problem or task.problem}
            continue
        write_if_changed(str(outpaths.policy_files(outdir, task)[0]), task.document,
                         sync=False)
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
