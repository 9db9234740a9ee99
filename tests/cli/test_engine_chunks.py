"""The Dask engine runs items in chunks, and a chunk's trouble stays with the item that caused it: an item that raises fails alone, and a chunk that keeps killing its workers is run again an item a task, so that only the killer is an error."""

from __future__ import annotations

import os

import pytest

from verify_refine import engine

KILLER, RAISER = 13, 7


def square_plus(n: int, shared: int) -> int:
    """The item function: kills its worker on KILLER, raises on RAISER."""
    if n == KILLER:
        os._exit(9)
    if n == RAISER:
        raise ValueError("seven is refused")
    return n * n + shared


def test_chunk_size_shares_items_among_workers():
    assert engine.chunk_size(5, 2) == 1
    assert engine.chunk_size(80, 2) == 10
    assert engine.chunk_size(10_000, 2) == engine.CHUNK_MAX
    assert engine.chunk_size(2_000, 64) == 2_000 // (64 * engine.CHUNKS_PER_WORKER)
    assert engine.chunk_size(10_000, 2, chosen=1) == 1


@pytest.mark.slow  # a local cluster whose workers are killed six times: about 10 s
def test_a_killer_in_a_chunk_fails_alone_and_its_chunk_mates_are_delivered():
    cluster = engine.Cluster(None, 2, chunk=4)
    delivered: dict[int, object] = {}
    order: list[int] = []

    def deliver(key, result):
        order.append(key)
        delivered[key] = result

    try:
        cluster.map(square_plus, {n: (n,) for n in range(20)}, 100, deliver,
                    lambda key, why: ("failed", why))
    finally:
        cluster.close()
    assert sorted(order) == list(range(20))  # each exactly once
    assert delivered.pop(KILLER) == ("failed", f"crash: {engine.KILLED}")
    assert delivered.pop(RAISER) == ("failed", "crash: ValueError: seven is refused")
    assert delivered == {n: n * n + 100 for n in range(20) if n not in (KILLER, RAISER)}


def test_more_chunks_than_the_window_are_all_delivered_once():
    """The cluster is handed a window of chunks (IN_FLIGHT a worker) and the next as one
    finishes: every item still comes back, exactly once."""
    cluster = engine.Cluster(None, 1, chunk=1)
    order: list[int] = []
    items = {n: (n,) for n in range(3 * engine.IN_FLIGHT) if n not in (KILLER, RAISER)}
    try:
        cluster.map(square_plus, items, 1, lambda key, result: order.append((key, result)),
                    lambda key, why: pytest.fail(f"{key} failed: {why}"))
    finally:
        cluster.close()
    assert sorted(order) == [(n, n * n + 1) for n in sorted(items)]
