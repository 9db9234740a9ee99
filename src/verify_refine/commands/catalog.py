"""`verify-refine catalog export|info`: the action catalog in use, as a --catalog file or a
one-line summary."""

from __future__ import annotations

import sys

from ..errors import UsageError
from ..inputs import catalog as catalog_mod
from . import options

NAME = "catalog"


def add_parser(commands, parser_class) -> None:
    cat = commands.add_parser(NAME, help="inspect the action catalog",
                              description="Inspect the action catalog.")
    subcommands = cat.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND",
                                     parser_class=parser_class)
    export = subcommands.add_parser(
        "export", help="print the catalog as a --catalog file",
        description='Print the active catalog as {"service": ["Action", ...]} on stdout.')
    options.catalog(export)
    export.add_argument("--services", metavar="LIST",
                        help="only these service prefixes, comma-separated (a slice)")
    info = subcommands.add_parser("info", help="print the catalog's name, version and size",
                                  description="Print the catalog's name, version and size.")
    options.catalog(info)


def run(args) -> int:
    if args.catalog_command is None:
        raise UsageError("verify-refine catalog: choose a subcommand (see --help)")
    cat = catalog_mod.load(args.catalog)
    if args.catalog_command == "info":
        print(f"{cat.label}: {len(cat.services)} services, {cat.size} actions")
        return 0
    export = cat.export()
    if args.services:
        wanted = [s.strip().lower() for s in args.services.split(",") if s.strip()]
        missing = [s for s in wanted if s not in export]
        if missing:
            raise UsageError(f"--services: not in the catalog ({cat.label}): "
                             + ", ".join(missing))
        export = {s: export[s] for s in sorted(wanted)}
    sys.stdout.write(catalog_mod.canonical_export_bytes(export).decode("utf-8"))
    return 0
