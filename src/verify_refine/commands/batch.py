"""`verify-refine batch`: refine, prove and certify every role's and user's policies of an AWS
account, in parallel; a row per policy in summary.md and summary.csv."""

from __future__ import annotations

import argparse
import sys

from ..batch import account_run, engine_options, org_layout, org_run, outpaths, plan
from ..batch.schedule import WALL_FACTOR, run_batch
from ..errors import UsageError
from ..files import finishing
from ..iac.reading import looks_like_template
from ..inputs import catalog as catalog_mod
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
    outpaths.new_run()
    if args.auth is not None and looks_like_template(args.auth):
        given = [name for name, on in (("--account", args.account), ("--fit", args.fit),
                                       ("--skip-aws-managed", args.skip_aws_managed)) if on]
        if given or not args.findings:
            raise UsageError(f"batch: {given[0]} is for authorization details, not "
                             "infrastructure code" if given else "batch: infrastructure code "
                             "needs --findings DIR")
        return batch_iac.run(args)
    found = org_layout.accounts(args)
    return run_account(args) if found is None else org_run.run(args, found)


def run_account(args) -> int:
    """One account: exit 0 when every policy is proved, 1 when one is refuted or failed, 3
    when one is unknown, 2 on bad input."""
    cat = catalog_mod.load(args.catalog)
    work = account_run.read(args, cat)
    proofs = engine_options.proof_cache(args)
    cluster = engine_options.cluster(args)  # --scheduler: reached before anything is written
    account_run.prepare_outputs(work)
    finished, interrupted, progress = run_batch([(t, work.outdir) for t in work.tasks], cat,
                                                args, proofs, cluster)
    with finishing():  # every result is in (or kept): a Ctrl-C now would only cut the summary
        table, notes = account_run.summarize(work, finished)
        if not interrupted:
            code = account_run.report(work, table, notes + proofs.notes, progress.live)
            print(progress.final_line(), file=sys.stderr)
    if interrupted:
        raise KeyboardInterrupt  # after the summaries of what finished: one line, exit 130
    return code
