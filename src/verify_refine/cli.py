"""The verify-refine command: the subcommands' parsers, dispatch, and the one place that maps
errors, interrupts and verdicts to exit codes."""

from __future__ import annotations

import argparse
import signal
import sys

from . import __version__, deps
from .commands import (
    batch,
    catalog,
    check,
    compare,
    gate,
    list_policies,
    pull,
    recertify,
    refine,
    split,
    verify,
)
from .errors import InputError, UsageError
from .verdict import Exit

# catalog has subcommands, so it is added apart
COMMANDS = (refine, check, verify, gate, recertify, batch, pull, compare, list_policies, split)


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code; its help is
    laid out at a fixed width, so that the README's usage block can be checked against it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", lambda prog: argparse.HelpFormatter(
            prog, width=USAGE_WIDTH, max_help_position=32))
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see --help)")


USAGE_WIDTH = 96


def usage() -> str:
    """Every command's usage line(s), as the README's Usage block shows them."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = []
    for name, sub in subparsers.choices.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        for leaf in (list(nested[0].choices.values()) if nested else [sub]):
            first, *rest = leaf.format_usage().rstrip().split("\n")
            lines += [first.removeprefix("usage: ")] + [line[len("usage: "):] for line in rest]
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="verify-refine",
                    description="Remove unused actions from AWS IAM policies, soundly.")
    parser.add_argument("--version", action="version", version=f"verify-refine {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(commands)
    catalog.add_parser(commands, Parser)
    return parser


RUN = {module.NAME: module.run for module in (*COMMANDS, catalog)}


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (never raise, never print a traceback)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command == verify.NAME:
            extra = verify.late_positional(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command is None:
            raise UsageError(f"{parser.prog}: choose a command (see --help)")
        if getattr(args, "solver", None) == "cvc5":
            deps.require("cvc5", f"{args.command} --solver cvc5")
        return int(RUN[args.command](args))
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return Exit.INPUT
    except BrokenPipeError:
        return Exit.OK
    except OSError as exc:  # a file system error that no reader turned into an InputError
        source = None if exc.filename is None else str(exc.filename)
        print(str(InputError(exc.strerror or str(exc), source)), file=sys.stderr)
        return Exit.INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return Exit.INTERRUPTED


def entry_point() -> None:
    code = main(sys.argv[1:])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: a late Ctrl-C changes nothing now
    sys.exit(code)
