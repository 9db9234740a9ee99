"""`verify-refine batch TEMPLATE|TF_FOLDER`: every policy held by a role or user with findings in
the folder, refined by what its holders left unused, proved and certified in one run; each
source file written back (in place, or as a copy under OUTDIR) only when all of it proved."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..batch import outpaths
from ..errors import InputError, UsageError
from ..files import finishing, refuse_collisions, write_atomically
from ..iac import batch_findings, refining
from ..iac.batch_findings import Holder
from ..iac.model import FoundPolicy, Source
from ..iac.reading import read_sources
from ..inputs import catalog as catalog_mod
from ..inputs import findings
from ..report import iac_batch_summary as summary
from ..verdict import Exit
from . import iac_batch_write as writing
from . import options


@dataclass
class Planned:
    """One policy to refine: its source, its holders with findings, its unused set and the
    findings file the certificate records (OUTDIR/findings/...), and its summary row."""

    source: Source
    found: FoundPolicy
    holders: list[Holder]
    row: dict
    unused: object = None
    unused_path: str = ""
    result: refining.Refined | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # findings copies to write


def run(args) -> int:
    """Exit 0 when every policy is proved, 1 when one is refuted or failed, 3 when one is
    unknown, 2 on bad input."""
    _check_options(args)
    sources = read_sources(args.auth)
    cat = catalog_mod.load(args.catalog)
    principals = [p for s in sources for p in s.principals]
    holders, ignored = batch_findings.match(Path(args.findings), principals)
    for holder in holders.values():
        batch_findings.load(holder, cat, args)
    outdir = Path(args.output)
    plans = [_plan(s, p, holders, outdir) for s in sources for p in s.policies
             if set(p.holders) & set(holders)]
    if not plans:
        raise UsageError(f"batch: nothing to refine: no role or user of {args.auth} has both "
                         f"findings in {args.findings} and a policy")
    _make(outdir, args.output)
    for plan in plans:
        _refine(plan, cat, args)
    written = writing.outputs(plans, sources, outdir, args)
    notes = _notes(sources, holders, plans)
    table = [p.row for p in plans]
    with finishing():
        for path, data in written.items():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
        write_atomically(str(outpaths.inside(outdir, "summary.csv")),
                         summary.summary_csv(table))
        write_atomically(str(outpaths.inside(outdir, "summary.md")), summary.summary_md(
            table, Path(args.auth).name, args.findings, cat.label,
            {"Findings files not used": ignored, "Notes": notes}, args.in_place))
    return _report(table, notes, outdir, cat)


def _check_options(args) -> None:
    """The account batch's options that mean nothing for infrastructure code, refused."""
    for flag, given in (("--aws-managed", args.aws_managed), ("--plan", args.plan)):
        if given:
            raise UsageError(f"batch: {flag} is for an account's authorization details, not "
                             "for infrastructure code")
    refuse_collisions({"-o": args.output}, {"the findings folder": args.findings,
                                            "the infrastructure code": args.auth})


def _make(outdir: Path, shown: str) -> None:
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}", shown) from None


def _plan(source: Source, found: FoundPolicy, holders: dict[str, Holder],
          outdir: Path) -> Planned:
    """What a policy is refined by: its one holder's findings (a copy of them), or, held by
    several, the actions every holder left unused (a list of names); a holder without
    findings, or whose findings cannot be used, leaves nothing known to be unused: an error."""
    row = summary.blank_row(found.path, found.address, found.kind, found.holders)
    plan = Planned(source, found, [holders[h] for h in found.holders if h in holders], row)
    without = [h for h in found.holders if h not in holders]
    broken = [h for h in plan.holders if h.problem]
    if found.style.get("read_only"):
        row["error"] = f"cannot be written back: {found.style['read_only']}"
    elif without:
        row["error"] = (f"also held by {', '.join(without)}, which has no findings: what it "
                        "uses is not known, so nothing is removed")
    elif broken:
        row["error"] = "; ".join(f"{h.principal.address}: {h.problem}" for h in broken)
    if row["error"]:
        return plan
    stem = outpaths.component(f"{Path(found.path).stem}.{found.address}")
    if len(plan.holders) == 1:
        holder = plan.holders[0]
        data = holder.unused.findings_bytes()
        name = outpaths.component(f"{holder.principal.kind}.{holder.principal.name}") + \
            (".json" if data.lstrip()[:1] in (b"{", b"[") else ".txt")
    else:
        data = batch_findings.shared_text(plan.holders)
        name = f"{stem}.shared.json"
    plan.unused_path = str(outpaths.inside(outdir, "findings", name))
    plan.files[plan.unused_path] = data
    row["findings"] = os.path.relpath(plan.unused_path, outdir)
    return plan


def _refine(plan: Planned, cat, args) -> None:
    """Refine and prove one policy by its unused set (read from the bytes the certificate
    will record, so that check reads what was proved)."""
    if plan.row["error"]:
        return
    try:
        if len(plan.holders) == 1:
            plan.unused = plan.holders[0].unused
        else:
            plan.unused, _ = findings.from_bytes(plan.files[plan.unused_path],
                                                 plan.unused_path, cat)
        [plan.result] = refining.refine_each([(plan.source, plan.found)], plan.unused, cat,
                                             options.guards(args), timeout_s=args.timeout,
                                             prove=True)
    except InputError as exc:
        plan.row["error"] = str(exc)
        return
    summary.fill(plan.row, plan.result.done)


def _notes(sources: list[Source], holders: dict[str, Holder], plans: list[Planned]
           ) -> list[str]:
    """Refused policies of the principals with findings, findings warnings, shared policies."""
    notes = [f"{r.place}: {r.address}: refused: {r.message} (not refined)"
             for s in sources for r in s.refusals
             if any(r.address.startswith(a + ".") for a in holders)]
    notes += [f"{h.principal.address}: {w}" for h in holders.values() for w in h.warnings[:1]]
    notes += [f"{p.found.address} is held by {', '.join(h.principal.address for h in p.holders)}"
              ": refined by the actions every one of them left unused" for p in plans
              if len(p.holders) > 1 and not p.row["error"]]
    return notes


def _report(table: list[dict], notes: list[str], outdir: Path, cat) -> int:
    for row in table:
        print(summary.line(row), file=sys.stderr)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    counts = summary.counts(table)
    print(f"batch: {len(table)} policies: " + ", ".join(f"{n} {v}" for v, n in counts.items())
          + f"; catalog {cat.label}")
    print(f"wrote {outdir / 'summary.md'} and {outdir / 'summary.csv'}", file=sys.stderr)
    if counts["refuted"] or counts["error"]:
        return Exit.REFUTED
    return Exit.UNKNOWN if counts["unknown"] else Exit.OK
