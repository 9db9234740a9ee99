"""compare's work on the Dask engine: one task per (policy, strategy), each policy's rows kept in the order of the strategies."""

from __future__ import annotations

from pathlib import Path

from .. import engine
from . import harness


def _row(name: str, data: bytes, sname: str, ctx: harness.Context) -> dict | None:
    """The task run on a worker: one strategy's row for one policy (None: it does not
    parse). The policy travels as bytes, so the workers need not see the corpus."""
    got = harness.prepared(name, data, ctx)
    return None if got is None else harness.strategy_row(name, *got, sname, ctx)


def _failed_row(name: str, sname: str, ctx: harness.Context, why: str) -> dict:
    """The row of a strategy whose task failed (a crash): nothing is proved."""
    row = {c: "" for c in harness.COLUMNS}
    row.update(policy=name, strategy=sname, fraction=ctx.fraction, seed=ctx.seed,
               sound="unknown", removes="unknown", complete="unknown", verdict="unknown",
               note=f"task failed: {why}")
    return row


def run_all(paths: list[str], ctx: harness.Context, address: str | None, jobs: int,
            done: dict) -> None:
    """done[path] set to the policy's rows (None: it does not parse) once all its
    strategies have finished, on the cluster of ADDRESS (or, without one, a local cluster of
    JOBS processes: compare does not ask for that, being slower than its fork pool).
    A task that fails (a crash) gives an unknown row; on Ctrl-C the interrupt goes on up,
    the policies that finished in `done`."""
    cluster = engine.Cluster(address, jobs)
    items = {}
    for path in paths:
        data = Path(path).read_bytes()
        for sname in ctx.strategies:
            items[(path, sname)] = (Path(path).name, data, sname)
    finished: dict[str, dict] = {path: {} for path in paths}

    def deliver(key: tuple[str, str], row: dict | None) -> None:
        path, sname = key
        finished[path][sname] = row
        if len(finished[path]) == len(ctx.strategies):
            rows = [finished[path][s] for s in ctx.strategies]
            done[path] = None if any(r is None for r in rows) else rows

    def failed(key: tuple[str, str], why: str) -> dict:
        return _failed_row(Path(key[0]).name, key[1], ctx, why)

    try:
        cluster.map(_row, items, ctx, deliver, failed)
    finally:
        cluster.close()
