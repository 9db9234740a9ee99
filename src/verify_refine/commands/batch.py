"""`verify-refine batch`: refine, prove and certify every role's and user's policies of an AWS
account, in parallel; a row per policy in summary.md and summary.csv."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..batch import engine_options, org_layout, org_run, outpaths, plan
from ..batch.certify import prepare
from ..batch.findings_match import match_findings
from ..batch.schedule import WALL_FACTOR, run_batch
from ..errors import InputError, UsageError
from ..files import finishing, read_input, refuse_collisions, write_atomically
from ..iac.reading import looks_like_template
from ..inputs import catalog as catalog_mod
from ..inputs.account import SKIP_TAG, read_account
from ..report import batch_summary
from ..verdict import Exit
from . import batch_iac, fitting, options

NAME = "batch"


def add_parser(commands) -> None:
    cmd = commands.add_parser(
        NAME, help="refine and certify every role's and user's policies of an account",
        description="Read 'aws iam get-account-authorization-details' output and, for every "
                    "role and user with findings in DIR, refine, prove and certify its inline "
                    "and attached managed policies (an AWS managed one as a customer managed "
                    "copy to attach in its place, unless --skip-aws-managed; principals tagged "
                    "verify-refine:skip are skipped). "
                    "Writes OUTDIR/<principal>/<policy>.{original,refined,cert}.json (names "
                    "encoded into safe file names, never leaving OUTDIR), the findings used, "
                    "and OUTDIR/summary.md and summary.csv; a user's group policies are "
                    "refined for it, naming the group's other members. Over an organization "
                    "(ORG, or --account): each account into OUTDIR/<account-id>/, then "
                    "OUTDIR/summary.{md,csv,json} and removed.png. Given a CloudFormation "
                    "template or a Terraform folder instead, refines every policy its roles "
                    "and users with findings hold (a policy held by several, by what all of "
                    "them left unused), writing the source back (--in-place) or a copy, with "
                    "certificates, per docs/INPUTS.md. Exit 0 when every "
                    "policy is proved, 1 when one is refuted or fails, 3 when one is unknown.")
    _inputs(cmd)
    cmd.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                     help="folder for the results (created if missing)")
    options.jobs(cmd, "policies refined")
    engine_options.add(cmd)
    options.catalog(cmd)
    options.timeout(cmd, f"; a policy still proving after {WALL_FACTOR} times this is "
                         "stopped as unknown")
    cmd.add_argument("--allow-nothing-unused", action="store_true",
                     help="refine a principal whose findings name nothing unused (default: "
                          "that principal's rows are errors)")
    options.finding_options(cmd)
    aws_managed = cmd.add_mutually_exclusive_group()
    aws_managed.add_argument("--skip-aws-managed", action="store_true",
                             help="leave the AWS managed policies attached to a principal alone "
                                  "(default: each is refined as a customer managed copy to "
                                  "create, attach, and detach AWS's)")
    aws_managed.add_argument("--aws-managed", action="store_true", help=argparse.SUPPRESS)
    fitting.add_options(cmd, "a policy whose minimal refinement is")
    cmd.add_argument("--in-place", action="store_true",
                     help="infrastructure code: rewrite each source file whose refined "
                          "policies all proved (default: a copy under OUTDIR/source/)")
    cmd.add_argument("--plan", action="store_true",
                     help=f"also write OUTDIR/{plan.PLAN}: the AWS CLI commands that would apply "
                          "each proved result, for review (verify-refine never calls AWS)")
    cmd.add_argument("--fraction-warning", metavar="FRACTION", type=options.fraction,
                     nargs="?", const=0.9, default=None,
                     help="also warn when a refined policy reaches this fraction of its IAM "
                          "size quota (default when given alone: 0.9); over the quota always "
                          "warns")


def _inputs(cmd) -> None:
    """What batch reads: one account, an organization, or infrastructure code."""
    cmd.add_argument("auth", metavar="AUTH.json|ORG|TEMPLATE|TF_FOLDER", nargs="?",
                     help="output of 'aws iam get-account-authorization-details'; or an "
                          "organization: a folder of accounts, each <account>/"
                          "authorization-details.json and <account>/findings/ as 'pull --all' "
                          "writes them (docs/AWS.md); or infrastructure code: a CloudFormation "
                          "template or a Terraform folder (docs/INPUTS.md)")
    cmd.add_argument("--account", metavar="AUTH.json:FINDINGS_DIR", action="append",
                     help="an account of the organization, instead of ORG (repeat it); "
                          "OUTDIR gets a folder per account and the organization's "
                          "summary.{md,csv,json} and removed.png")
    cmd.add_argument("--findings", metavar="DIR",
                     help="the principals' findings: 'aws accessanalyzer get-finding-v2' "
                          "outputs (one a file or several in a JSON array) or Security Hub "
                          "findings, matched by resource ARN; or any findings file named "
                          "<RoleName>.json / <UserName>.json")


def run(args) -> int:
    """Infrastructure code (a template, a Terraform folder) goes to batch_iac; one account,
    or each account of an organization (ORG or --account) then its summary, is refined here."""
    fitting.check_options("batch", args)
    if args.auth is not None and looks_like_template(args.auth):
        given = [name for name, on in (("--account", args.account), ("--fit", args.fit),
                                       ("--skip-aws-managed", args.skip_aws_managed)) if on]
        if given or not args.findings:
            raise UsageError(f"batch: {given[0]} is for authorization details, not "
                             "infrastructure code" if given else "batch: infrastructure code "
                             "needs --findings DIR")
        return batch_iac.run(args)
    found = org_layout.accounts(args)
    return run_account(args) if found is None else org_run.run(args, found, run_account)


def run_account(args) -> int:
    """Exit 0 when every policy is proved, 1 when one is refuted or failed, 3 when one is
    unknown, 2 on bad input."""
    refuse_collisions({"-o": args.output}, {"the findings folder": args.findings,
                                            "the authorization details": args.auth})
    account = _account(args)
    proofs = engine_options.proof_cache(args)
    cat = catalog_mod.load(args.catalog)
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
    # --scheduler: reached before anything is written; an organization's accounts share one
    cluster = getattr(args, "shared_cluster", None) or engine_options.cluster(args)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}",
                         args.output) from None
    tasks, rows, skipped = prepare(account, cat, outdir, args)
    finished, interrupted, progress = run_batch(tasks, cat, args, proofs, cluster)
    for task, row in zip(tasks, finished):
        rows[id(task)] = row or {"verdict": "error", "error": "not run: interrupted"}
    table = [batch_summary.row(task, rows[id(task)]) for task in account.tasks
             if task.principal.selected]
    notes = batch_summary.notes(account, table, args)
    with finishing():
        write_atomically(str(outpaths.inside(outdir, "summary.csv")),
                         batch_summary.summary_csv(table))
        write_atomically(str(outpaths.inside(outdir, "summary.md")), batch_summary.summary_md(
            table, args, cat, skipped, ignored, notes, account))
        if args.plan:
            write_plan(outdir, args, cat, [(t, rows[id(t)]) for t in account.tasks
                                           if t.principal.selected])
    if interrupted:
        raise KeyboardInterrupt  # after the summaries of what finished: one line, exit 130
    counts = {v: sum(1 for r in table if r["verdict"] == v) for v in batch_summary.VERDICTS}
    for row in table:
        if not progress.live or row["verdict"] not in ("proved", "detach"):
            print(batch_summary.line(row), file=sys.stderr)
    for note in [*notes, *proofs.notes]:
        print(f"warning: {note}", file=sys.stderr)
    print(f"batch: {len(table)} policies: " + batch_summary.counted(counts)
          + f"; {len(skipped)} skipped; catalog {cat.label}")
    print(f"wrote {outdir / 'summary.md'} and {outdir / 'summary.csv'}"
          + (f", and {outdir / plan.PLAN} (not run)" if args.plan else ""), file=sys.stderr)
    print(progress.final_line(), file=sys.stderr)
    if counts["refuted"] or counts["error"]:
        return Exit.REFUTED
    return Exit.UNKNOWN if counts["unknown"] else Exit.OK


def _account(args):
    """The authorization details, with AWS managed policies refined (the default; the old
    opt-in --aws-managed is kept as a no-op) or left alone (--skip-aws-managed)."""
    if args.in_place:
        raise UsageError("batch: --in-place rewrites infrastructure code; an account's "
                         "authorization details are not rewritten")
    account = read_account(read_input(args.auth, "authorization details"), args.auth)
    if args.skip_aws_managed:
        account.tasks = [t for t in account.tasks if not t.kind.endswith("aws-managed")]
    else:
        account.aws_managed = []  # refined, so not skipped
    return account


def write_plan(outdir: Path, args, cat, results) -> None:
    """OUTDIR/plan.sh, executable: the commands that apply the proved results."""
    header = [f"verify-refine batch --plan: the AWS CLI commands that apply the proved "
              f"refinements of {Path(args.auth).name}", f"Catalog: {cat.label}."]
    path = outpaths.inside(outdir, plan.PLAN)
    write_atomically(str(path), plan.script(results, outdir, header))
    path.chmod(0o755)
