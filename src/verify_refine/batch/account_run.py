"""One account of a batch in phases: its inputs read and checked (nothing written), its output folder prepared, its results summarized and reported; an organization runs every account's policies together between the phases."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, UsageError
from ..files import finishing, read_input, refuse_collisions, write_atomically
from ..inputs.account import SKIP_TAG, Account, read_account
from ..inputs.catalog import Catalog
from ..report import batch_summary
from ..verdict import Exit
from . import outpaths, plan
from .certify import prepare
from .findings_match import match_findings

NOT_RUN = {"verdict": "error", "error": "not run: interrupted"}


@dataclass
class AccountWork:
    """An account on its way through a batch: what was read, then the tasks to run and the
    rows already decided (by id of task), and the principals skipped."""

    args: argparse.Namespace
    account: Account
    cat: Catalog
    ignored: list
    outdir: Path
    tasks: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)


def read(args, cat: Catalog, parsed: Account | None = None) -> AccountWork:
    """The account's authorization details (PARSED when already read) and findings, matched,
    and every output file name proved to lie inside OUTDIR: bad input is an error before
    anything is written. A UsageError when no principal has something to refine."""
    refuse_collisions({"-o": args.output}, {"the findings folder": args.findings,
                                            "the authorization details": args.auth})
    account = _account(args, parsed)
    ignored = match_findings(Path(args.findings), account.principals)
    if not any(t.principal.selected for t in account.tasks):
        raise UsageError(f"batch: nothing to refine: no role or user of {args.auth} has both "
                         f"findings in {args.findings} and a policy to refine (and no "
                         f"{SKIP_TAG} tag)")
    outdir = Path(args.output)
    outpaths.assign(account.principals, account.tasks)
    outpaths.prove_all(outdir, [t for t in account.tasks if t.principal.selected])
    if args.plan:
        outpaths.inside(outdir, plan.PLAN)
    return AccountWork(args, account, cat, ignored, outdir)


def _account(args, parsed: Account | None) -> Account:
    """The authorization details, with AWS managed policies refined (the default; the old
    opt-in --aws-managed is kept as a no-op) or left alone (--skip-aws-managed)."""
    if args.in_place:
        raise UsageError("batch: --in-place rewrites infrastructure code; an account's "
                         "authorization details are not rewritten")
    account = parsed or read_account(read_input(args.auth, "authorization details"),
                                     args.auth)
    if args.skip_aws_managed:
        account.tasks = [t for t in account.tasks if not t.kind.endswith("aws-managed")]
    else:
        account.aws_managed = []  # refined, so not skipped
    return account


def prepare_outputs(work: AccountWork) -> None:
    """OUTDIR made, each principal's findings and original documents written into it, and the
    tasks to run chosen."""
    try:
        work.outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}",
                         str(work.outdir)) from None
    work.tasks, work.rows, work.skipped = prepare(work.account, work.cat, work.outdir,
                                                  work.args)


def summarize(work: AccountWork, finished: list) -> tuple[list[dict], list[str]]:
    """OUTDIR/summary.csv and summary.md (and plan.sh) from the rows of FINISHED (one per
    task, None: not run); returns the table and its notes."""
    for task, row in zip(work.tasks, finished):
        work.rows[id(task)] = row or NOT_RUN
    account, args, outdir = work.account, work.args, work.outdir
    table = [batch_summary.row(task, work.rows[id(task)]) for task in account.tasks
             if task.principal.selected]
    notes = batch_summary.notes(account, table, args)
    with finishing():
        write_atomically(str(outpaths.inside(outdir, "summary.csv")),
                         batch_summary.summary_csv(table))
        write_atomically(str(outpaths.inside(outdir, "summary.md")), batch_summary.summary_md(
            table, args, work.cat, work.skipped, work.ignored, notes, account))
        if args.plan:
            write_plan(work, [(t, work.rows[id(t)]) for t in account.tasks
                              if t.principal.selected])
    return table, notes


def report(work: AccountWork, table: list[dict], notes: list[str], live: bool) -> int:
    """The account's lines (each row not proved, every row when no progress bar was shown;
    the notes; the counts on stdout) and its exit code: 0 when every policy is proved, 1 when
    one is refuted or failed, 3 when one is unknown."""
    counts = {v: sum(1 for r in table if r["verdict"] == v) for v in batch_summary.VERDICTS}
    for row in table:
        if not live or row["verdict"] not in ("proved", "detach"):
            print(batch_summary.line(row), file=sys.stderr)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    print(f"batch: {len(table)} policies: " + batch_summary.counted(counts)
          + f"; {len(work.skipped)} skipped; catalog {work.cat.label}")
    print(f"wrote {work.outdir / 'summary.md'} and {work.outdir / 'summary.csv'}"
          + (f", and {work.outdir / plan.PLAN} (not run)" if work.args.plan else ""),
          file=sys.stderr)
    if counts["refuted"] or counts["error"]:
        return Exit.REFUTED
    return Exit.UNKNOWN if counts["unknown"] else Exit.OK


def write_plan(work: AccountWork, results) -> None:
    """OUTDIR/plan.sh, executable: the commands that apply the proved results."""
    header = [f"verify-refine batch --plan: the AWS CLI commands that apply the proved "
              f"refinements of {Path(work.args.auth).name}", f"Catalog: {work.cat.label}."]
    path = outpaths.inside(work.outdir, plan.PLAN)
    write_atomically(str(path), plan.script(results, work.outdir, header))
    path.chmod(0o755)
