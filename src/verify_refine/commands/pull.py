"""`verify-refine pull`: fetch an account's policies and unused-permission data with boto3 (the
`aws` extra) into a folder that `batch` reads as it is."""

from __future__ import annotations

import sys

from .. import deps
from ..errors import UsageError
from ..verdict import Exit
from . import options

NAME = "pull"
SOURCES = ("access-analyzer", "access-advisor", "securityhub")


def add_parser(commands) -> None:
    cmd = commands.add_parser(
        NAME, help="fetch an account's policies and unused-permission data for batch",
        description="Fetch, with your AWS credentials, the account's policies ('aws iam "
                    "get-account-authorization-details', every page) and the unused-permission "
                    "data of one role or user (ARN) or of every one (--all), and write them as "
                    "OUTDIR/authorization-details.json, OUTDIR/findings/ and "
                    "OUTDIR/manifest.json: run 'verify-refine batch "
                    "OUTDIR/authorization-details.json --findings OUTDIR/findings -o DIR' next. "
                    "Needs boto3 (pip install 'verify-refine[aws]'); docs/AWS.md lists the IAM "
                    "permissions. Exit 0 when every principal was fetched, 1 when one failed "
                    "(the rest are written), 2 on misuse.")
    cmd.add_argument("arn", metavar="ARN", nargs="?",
                     help="the role or user to fetch for (arn:aws:iam::ACCOUNT:role/NAME)")
    cmd.add_argument("--all", action="store_true",
                     help="fetch for every role and user of the account instead of one ARN")
    cmd.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                     help="a new or empty folder for what is fetched (created if missing)")
    cmd.add_argument("--source", choices=SOURCES, default="access-analyzer",
                     help="where the unused-permission data comes from: IAM Access Analyzer's "
                          "unused-access analyzer (default; get-finding-v2 of each "
                          "UnusedPermission finding), IAM Access Advisor (an ACTION_LEVEL "
                          "last-accessed report a principal, free) or Security Hub (its OCSF "
                          "unused-permission findings)")
    cmd.add_argument("--recommendations", action="store_true",
                     help="also generate and fetch AWS's recommended policy for each finding "
                          "(Access Analyzer or Security Hub) into OUTDIR/recommendations/, "
                          "for 'verify --aws-recommendation'")
    cmd.add_argument("--analyzer-arn", metavar="ARN",
                     help="the unused-access analyzer to read (default: the only active one "
                          "of the region)")
    cmd.add_argument("--region", metavar="REGION",
                     help="the AWS region of the analyzer or of Security Hub (default: the "
                          "profile's, or AWS_DEFAULT_REGION)")
    cmd.add_argument("--profile", metavar="NAME",
                     help="the AWS profile whose credentials to use (default: the standard "
                          "chain: environment, AWS_PROFILE, instance role)")
    cmd.add_argument("--concurrency", metavar="N", type=options.positive_int, default=4,
                     help="principals fetched at once (default 4); throttled calls are "
                          "retried with botocore's adaptive back-off")
    cmd.add_argument("--wait", metavar="SECONDS", type=options.seconds, default=300.0,
                     help="the longest wait for one report or recommendation AWS generates "
                          "(default 300); a principal whose report is not ready by then fails")


def run(args) -> int:
    """Exit 0 when every principal was fetched, 1 when one failed, 2 on misuse."""
    deps.require("boto3", "pull")
    if args.all == (args.arn is not None):
        raise UsageError("pull: give either a role or user ARN or --all (exactly one; see "
                         "--help)")
    if args.recommendations and args.source == "access-advisor":
        raise UsageError("pull: --recommendations needs --source access-analyzer or "
                         "securityhub (Access Advisor makes no recommendations)")
    if args.analyzer_arn and args.source != "access-analyzer":
        raise UsageError("pull: --analyzer-arn is for --source access-analyzer")
    if args.concurrency > 32:
        raise UsageError("pull: --concurrency is at most 32 (AWS throttles beyond a few)")
    from ..aws.pull import pull  # boto3 is imported only now, once it is known to be there

    result = pull(args, lambda line: print(line, file=sys.stderr, flush=True))
    totals = result["totals"]
    print(f"pull: {len(result['principals'])} principals: {totals['fetched']} with data, "
          f"{totals['nothing unused']} with none, {totals['failed']} failed; wrote "
          f"{args.output}/manifest.json")
    for row in result["principals"]:
        if row["status"] == "failed":
            print(f"pull: failed: {row['kind']} {row['name']}: {row['error']}", file=sys.stderr)
    print(f"next: verify-refine batch {args.output}/authorization-details.json --findings "
          f"{args.output}/findings -o REFINED", file=sys.stderr)
    return Exit.REFUTED if totals["failed"] else Exit.OK
