"""`verify-refine split`: a policy too large for IAM as K managed policies, each within the limit,
proved to allow together exactly what the policy allows; written only when proved."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import pipeline, split_record
from ..errors import InputError, UsageError
from ..files import read_input, refuse_collisions
from ..inputs import catalog as catalog_mod
from ..inputs.wrappers import load_policy
from ..refine.split import MANAGED_LIMIT, SplitError
from ..verdict import Verdict
from . import options

NAME = "split"
ATTACHED_DEFAULT, ATTACHED_RAISED = 10, 20  # managed policies a role may have attached


def size_limit(text: str) -> int:
    """`managed` (6,144) or a number of characters as IAM counts them."""
    if text == "managed":
        return MANAGED_LIMIT
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not `managed` or a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parser(commands) -> None:
    cmd = commands.add_parser(
        NAME, help="split a policy into managed policies within IAM's size limit, proved",
        description="Split POLICY into K managed policies of at most LIMIT characters "
                    "(whitespace excluded, as IAM counts), keeping every statement's "
                    "Resource, Condition, Principal and Sid (suffixed where the split would "
                    "repeat it), every Deny statement in every part, and prove that the "
                    "parts attached together allow exactly what POLICY allows. Writes "
                    "OUTDIR/<name>-1.json ... -K.json and OUTDIR/<name>.split.json (the proof "
                    "record, re-checked by `check`) only when proved. Exit 0 proved, 1 "
                    "refuted, 2 bad input or no split fits, 3 unknown.")
    cmd.add_argument("policy", metavar="POLICY", help="the policy to split (a refined policy, "
                                                      "say; - reads standard input)")
    cmd.add_argument("--limit", metavar="managed|BYTES", type=size_limit, required=True,
                     help="the most characters a part may hold: `managed` (6,144) or a number")
    cmd.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                     help="the folder to write the parts and the proof record in")
    options.catalog(cmd, "catalog used to name counterexamples by catalog actions (the proof "
                         "covers every action string whatever the catalog)")
    options.timeout(cmd)


def run(args) -> int:
    refuse_collisions({"-o": args.output}, {"the policy": args.policy})
    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise UsageError(f"split: -o `{args.output}` is a file, not a folder")
    data = read_input(args.policy, "policy")
    policy = load_policy(data, args.policy, allow_empty=True)
    stem = "policy" if args.policy == "-" else Path(args.policy).name.removesuffix(".json")
    outdir = Path(args.output)
    cat = catalog_mod.load(args.catalog)
    try:
        done = pipeline.split_and_prove(
            policy, cat, limit=args.limit, timeout_s=args.timeout,
            name_of=lambda k: str(outdir / split_record.part_name(stem, k)))
    except SplitError as exc:
        raise InputError(exc.message, args.policy) from None
    proof, texts = done.proof, done.texts
    names = [part.source for part in done.parts]
    if proof.verdict is Verdict.REFUTED:
        print(f"refuted: {proof.explanation}; nothing written")
    elif proof.verdict is Verdict.UNKNOWN:
        print(f"unknown: {proof.explanation}; nothing written", file=sys.stderr)
    else:
        split_record.write_split(outdir, stem, args.policy, data, texts, proof, args.limit)
        _report(args, stem, texts, names, proof)
    return proof.verdict.exit_code


def _report(args, stem: str, texts: list[str], names: list[str], proof) -> None:
    """The proved outcome on stdout, and the attachment quota warnings on stderr."""
    k = len(texts)
    shown = "the policy on standard input" if args.policy == "-" else args.policy
    largest = max(split_record.iam_size(t) for t in texts)
    if k == 1:
        print(f"fits: {shown} is {largest:,} characters, within {args.limit:,}: one "
              f"part, the policy as it is ({proof.queries} queries)")
    else:
        print(f"proved: {shown} split into {k} managed policies of at most "
              f"{args.limit:,} characters (largest {largest:,}): attached together they allow "
              f"exactly what it allows; each holds every Deny statement ({proof.queries} "
              "queries)")
    record = Path(args.output) / f"{stem}{split_record.SUFFIX}"
    print(f"wrote {names[0]}" + (f" ... {names[-1]}" if k > 1 else "") + f" and {record}",
          file=sys.stderr)
    for older in split_record.leftovers(Path(args.output), stem, k):
        print(f"warning: {older} is not part of this split (left from an earlier one?): do "
              "not attach it", file=sys.stderr)
    if k > ATTACHED_RAISED:
        print(f"warning: {k} parts: more than the {ATTACHED_RAISED} managed policies a role "
              "can have attached even with its quota raised; split the role's permissions "
              "among several roles", file=sys.stderr)
    elif k > ATTACHED_DEFAULT:
        print(f"warning: {k} parts: more than the {ATTACHED_DEFAULT} managed policies a role "
              f"can have attached by default (the IAM quota can be raised to "
              f"{ATTACHED_RAISED})", file=sys.stderr)
