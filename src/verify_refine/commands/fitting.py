"""`--fit` and `--allow-oversize`, the options refine and batch share (fitting.py: outcomes)."""

from __future__ import annotations

import argparse

from ..errors import UsageError
from ..report import size

KINDS = {kind.replace(" ", "-"): kind for kind in size.LIMITS}  # managed, role-inline, ...


class Target(int):
    """A --fit target in IAM characters, with the kind of policy it was named by (None for a
    number): only a managed policy's limit is per policy, so only it can be met by a split."""

    kind: str | None = None


def target_of(text: str) -> Target:
    """An argparse type: a kind of policy (its IAM limit) or a number of characters."""
    if text in KINDS:
        target = Target(size.LIMITS[KINDS[text]])
        target.kind = text
        return target
    if text.isdigit() and int(text) > 0:
        return Target(int(text))
    raise argparse.ArgumentTypeError(f"{text!r} is neither a positive number of characters "
                                     f"nor one of {', '.join(KINDS)}")


def add_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--fit", metavar="KIND|CHARS", type=target_of,
                        help="make each refined policy fit IAM's size limit for a kind of "
                             f"policy ({', '.join(KINDS)}) or CHARS characters: {what} over it "
                             "gives up minimality for a smaller cover, proved fitted (sound, "
                             "removes, complete, size <= target) instead; one that no cover "
                             "brings under is split into managed policies of at most the "
                             "target (managed or CHARS; OUT-1.json ..., proved together "
                             "equal), else not written (exit 1)")
    parser.add_argument("--allow-oversize", action="store_true",
                        help="with --fit: write the minimal refinement even when no cover "
                             "fits, with a warning (exit 0)")


def check_options(command: str, args) -> None:
    if args.allow_oversize and args.fit is None:
        raise UsageError(f"{command}: --allow-oversize needs --fit")
