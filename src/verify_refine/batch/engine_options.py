"""The batch options that choose where proofs run and where they are cached: --scheduler, --cache, --no-cache."""

from __future__ import annotations

from pathlib import Path

from ..commands.options import positive_int
from ..engine import CHUNK_MAX
from ..errors import UsageError
from .cache import LAYOUT, ProofCache, default_folder
from .engine_dask import Cluster


def add(cmd) -> None:
    cmd.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the proofs on the Dask cluster whose scheduler is at ADDRESS "
                          "(e.g. tcp://10.0.0.5:8786) instead of a local cluster of --jobs "
                          "processes")
    cmd.add_argument("--chunk", metavar="N", type=positive_int,
                     help=f"policies per Dask task (default: up to {CHUNK_MAX}, fewer when "
                          "there are few to share among the workers; 1: a task per policy)")
    cmd.add_argument("--cache", metavar="DIR",
                     help="keep proved results in DIR and re-use them, re-checked by hash, "
                          "when the policy, findings, catalog and tool version are the same "
                          "(default: $XDG_CACHE_HOME/verify-refine or ~/.cache/verify-refine)")
    cmd.add_argument("--no-cache", action="store_true",
                     help="prove every policy again and keep nothing")


def proof_cache(args) -> ProofCache:
    """The cache the options name. A --cache folder that cannot be made is a usage error;
    when the default one cannot be, the run goes on without a cache and says so."""
    if args.no_cache:
        if args.cache:
            raise UsageError("--cache and --no-cache cannot be given together")
        return ProofCache(None)
    folder = Path(args.cache) if args.cache else default_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if args.cache:
            raise UsageError(f"--cache: cannot create `{args.cache}`: "
                             f"{exc.strerror or exc}") from None
        proofs = ProofCache(None)
        proofs.notes.append(f"no proof cache: cannot create {folder}: {exc.strerror or exc}")
        return proofs
    proofs = ProofCache(folder)
    proofs.notes += [f"the proof cache {folder} holds {old.name}/, entries of an older layout "
                     f"that this version does not read: delete it to free its space"
                     for old in sorted(folder.glob("proofs-v*")) if old.name != LAYOUT]
    return proofs


def cluster(args) -> Cluster:
    """Where proofs run when not in this process: --scheduler's cluster (reached now), or a
    local one of --jobs processes (started when there is something to prove)."""
    return Cluster(args.scheduler, args.jobs, args.chunk)

