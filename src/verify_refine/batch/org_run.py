"""`batch` over an organization: each account run as the single-account batch into OUTDIR/<id>,
then the organization's summary (Markdown, CSV, JSON) and picture built from what is on disk."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..report import org_plot, org_summary
from ..verdict import Exit
from . import engine_options
from .org_layout import AccountInput


def run(args, found: list[AccountInput], run_account) -> int:
    """Run RUN_ACCOUNT (the single-account batch) on each account in turn; an account with
    nothing to refine is a note, not the end. The worst exit code of the accounts (1 over 3
    over 0); on Ctrl-C the summary of what finished is written, then the interrupt goes on."""
    codes: dict[str, int] = {}
    notes: dict[str, str] = {}
    nothing: list[UsageError] = []
    interrupted = False
    shared = engine_options.cluster(args)  # one cluster for every account
    shared.at_least = args.jobs
    try:
        for i, item in enumerate(found, start=1):
            print(f"account {item.label} ({i}/{len(found)}): {item.auth}", file=sys.stderr)
            one = argparse.Namespace(**vars(args), shared_cluster=shared)
            one.auth, one.findings, one.output, one.account = \
                item.auth, item.findings, item.output, None
            try:
                codes[item.label] = run_account(one)
            except UsageError as exc:  # nothing to refine in this account: the others go on
                nothing.append(exc)
                notes[item.label] = str(exc).removeprefix("batch: ")
            except KeyboardInterrupt:
                notes[item.label] = "interrupted: its summary lists what finished"
                for rest in found[i:]:
                    notes[rest.label] = "not run: interrupted"
                interrupted = True
                break
    finally:
        shared.close()
    if len(nothing) == len(found):
        raise nothing[0]
    written = write(args, found, notes)
    print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    if interrupted:
        raise KeyboardInterrupt
    if any(c == Exit.REFUTED for c in codes.values()):
        return Exit.REFUTED
    return Exit.UNKNOWN if any(c == Exit.UNKNOWN for c in codes.values()) else Exit.OK


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
