"""`batch` over an organization: every account's inputs read and checked first, then all their policies run together on one cluster, each account's results written into OUTDIR/<id>, then the organization's summary (Markdown, CSV, JSON) and picture built from what is on disk."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..files import finishing
from ..inputs import catalog as catalog_mod
from ..report import org_plot, org_summary
from ..verdict import Exit
from . import account_run, engine_options
from .org_layout import AccountInput
from .schedule import run_batch


def run(args, found: list[AccountInput]) -> int:
    """Every account's policies refined in one run; an account with nothing to refine is a
    note, not the end. The worst exit code of the accounts (1 over 3 over 0); on Ctrl-C the
    summaries of what finished are written, then the interrupt goes on."""
    cat = catalog_mod.load(args.catalog)
    notes: dict[str, str] = {}
    works = _read_all(args, found, cat, notes)
    proofs = engine_options.proof_cache(args)
    cluster = engine_options.cluster(args)  # --scheduler: reached before anything is written
    try:
        for _, work in works:
            account_run.prepare_outputs(work)
    except BaseException:
        cluster.close()
        raise
    tasks = [(task, work.outdir) for _, work in works for task in work.tasks]
    finished, interrupted, progress = run_batch(tasks, cat, args, proofs, cluster)
    # every result is in (or kept, on Ctrl-C): a Ctrl-C from now on is too late to stop
    # anything, and would only cut the summaries short
    with finishing():
        codes: dict[str, int] = {}
        start = 0
        for item, work in works:
            part = finished[start:start + len(work.tasks)]
            start += len(work.tasks)
            table, account_notes = account_run.summarize(work, part)
            if interrupted:
                if None in part:
                    notes[item.label] = "interrupted: its summary lists what finished"
                continue
            codes[item.label] = account_run.report(work, table, account_notes, progress.live)
        for note in proofs.notes:
            print(f"warning: {note}", file=sys.stderr)
        written = write(args, found, notes)
        print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
        print(progress.final_line(), file=sys.stderr)
    if interrupted:
        raise KeyboardInterrupt
    if any(c == Exit.REFUTED for c in codes.values()):
        return Exit.REFUTED
    return Exit.UNKNOWN if any(c == Exit.UNKNOWN for c in codes.values()) else Exit.OK


def _read_all(args, found: list[AccountInput], cat, notes: dict[str, str]) -> list:
    """(account, its work) for each account with something to refine, read and checked; the
    others noted. Every account having nothing is the usage error of the first."""
    works, nothing = [], []
    for i, item in enumerate(found, start=1):
        print(f"account {item.label} ({i}/{len(found)}): {item.auth}", file=sys.stderr)
        one = argparse.Namespace(**vars(args))
        one.auth, one.findings, one.output, one.account = \
            item.auth, item.findings, item.output, None
        try:
            works.append((item, account_run.read(one, cat, item.parsed)))
        except UsageError as exc:  # nothing to refine in this account: the others go on
            nothing.append(exc)
            notes[item.label] = str(exc).removeprefix("batch: ")
    if not works:
        raise nothing[0]
    return works


def write(args, found: list[AccountInput], notes: dict[str, str]) -> list[Path]:
    """OUTDIR/summary.{md,csv,json} and removed.png (or a note when matplotlib is absent)."""
    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    org = org_summary.build(found, notes)
    picture = org_plot.write(org, outdir / "removed.png")
    if picture is None:
        org["notes"].append(org_plot.ABSENT)
        print(f"note: {org_plot.ABSENT}", file=sys.stderr)
    written = org_summary.write(org, outdir)
    print(org_summary.line(org))
    return written + ([picture] if picture else [])
