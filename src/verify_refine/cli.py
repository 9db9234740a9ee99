"""The verify-refine command: the subcommands' parsers, dispatch, and the one place that maps
errors, interrupts and verdicts to exit codes."""

from __future__ import annotations

import argparse
import sys

from . import __version__, deps
from .commands import batch, catalog, check, compare, gate, refine, verify
from .errors import InputError, UsageError
from .verdict import Exit

COMMANDS = (refine, check, verify, gate, batch, compare)  # catalog has subcommands


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see --help)")


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
    sys.exit(main(sys.argv[1:]))
