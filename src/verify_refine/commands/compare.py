"""`verify-refine compare`: refinement strategies compared on a corpus (research), every output
judged by the same prover."""

from __future__ import annotations

import os
import sys

from .. import deps
from ..compare import harness, strategies
from ..errors import InputError, UsageError
from ..files import refuse_collisions
from ..inputs import catalog as catalog_mod
from ..report import exposure
from . import options

NAME = "compare"


def add_parser(commands) -> None:
    cmp = commands.add_parser(
        NAME, help="compare refinement strategies on a corpus (research)",
        description="For each policy in DIR, draw an unused set (a fraction of the catalog "
                    "actions it allows, reproducible from the seed), run every strategy, prove "
                    "every output with the same obligations, and write results.csv, "
                    "summary.md, size.png, time.png and exposure.png into OUT.")
    cmp.add_argument("--corpus", metavar="DIR", required=True, help="folder of *.json policies")
    cmp.add_argument("--unused-fraction", metavar="F", required=True,
                     type=lambda text: options.fraction(text, low_open=False),
                     help="fraction of each policy's allowed catalog actions drawn as unused "
                          "(0 to 1)")
    cmp.add_argument("--seed", metavar="S", default="0", help="seed of the unused draws")
    cmp.add_argument("--out", metavar="DIR", required=True, help="output folder")
    cmp.add_argument("--strategies", metavar="A,B,...", default=",".join(strategies.ORDER),
                     help="strategies to run (default: all of "
                          + ", ".join(strategies.ORDER) + ")")
    options.jobs(cmp, "policies refined and proved")
    cmp.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the strategies on the Dask cluster whose scheduler is at "
                          "ADDRESS (one task per policy and strategy) instead of --jobs local "
                          "processes")
    options.catalog(cmp)
    options.exposure_since(cmp, "each output admits (counted per policy)")
    options.timeout(cmp)


def run(args) -> int:
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [n for n in names if n not in strategies.STRATEGIES]
    if unknown or not names:
        raise UsageError(f"compare: --strategies: unknown {', '.join(unknown) or '(none given)'}"
                         f" (choose from {', '.join(strategies.ORDER)})")
    deps.require("matplotlib", "compare (its plots)")
    if "policyuniverse" in names:
        deps.require("policyuniverse", "compare's policyuniverse strategy")
    if not os.path.isdir(args.corpus):
        raise InputError("not a folder of policies (*.json)", args.corpus)
    refuse_collisions({"--out": args.out}, {"the corpus folder": args.corpus})
    catalog = catalog_mod.load(args.catalog)
    old = exposure.old_catalog(args.exposure_since) if args.exposure_since else None
    result = harness.compare(args.corpus, args.unused_fraction, args.seed, names, args.jobs,
                             args.out, old_catalog=old, catalog=catalog, timeout_s=args.timeout,
                             scheduler=args.scheduler)
    print(f"compared {len(names)} strategies on {result['policies']} policies "
          f"({len(result['skipped'])} skipped: did not parse); wrote {result['out']}/results.csv, "
          "summary.md, size.png, time.png, exposure.png", file=sys.stderr)
    return 0
