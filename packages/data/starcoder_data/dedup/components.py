"""Connected components by alternating large-star / small-star rounds.

Kiveris et al. 2014, "Connected Components in MapReduce and Beyond": each
round is one group-by over the edge list, no node ever needs more than its
own neighbourhood in memory, and the graph converges to stars centred on the
smallest node of each component in O(log^2 n) rounds. The smallest doc id of
a cluster is the file we keep; every other node of the star is dropped.

Edge tables have int64 columns ``src`` and ``dst`` with ``src > dst`` (a
node and a smaller neighbour). The star steps add a bool ``changed`` column:
an edge that was not in the step's input. A round in which neither step
changes an edge has converged.

The ``*_edges`` functions take a table holding whole groups (all edges of a
``src``, one group or many) so they run per group under
``groupby("src").map_groups`` and per block just the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa

SRC = "src"
DST = "dst"
CHANGED = "changed"
EDGE_SCHEMA = pa.schema([pa.field(SRC, pa.int64()), pa.field(DST, pa.int64())])
STEP_SCHEMA = pa.schema([*EDGE_SCHEMA, pa.field(CHANGED, pa.bool_())])


def large_star(node: int, neighbours: Iterable[int]) -> list[tuple[int, int]]:
    """Link every larger neighbour of ``node`` to the smallest of its neighbourhood."""
    neighbours = set(neighbours)
    smallest = min(neighbours | {node})
    return sorted((v, smallest) for v in neighbours if v > node)


def small_star(node: int, smaller_neighbours: Iterable[int]) -> list[tuple[int, int]]:
    """Link ``node`` and its smaller neighbours to the smallest of them."""
    members = set(smaller_neighbours) | {node}
    smallest = min(members)
    return sorted((v, smallest) for v in members if v != smallest)


def both_directions(edges: pa.Table) -> pa.Table:
    """Each edge as ``(src, dst)`` and ``(dst, src)``: large-star groups by every end."""
    src = edges[SRC].combine_chunks()
    dst = edges[DST].combine_chunks()
    return pa.table({SRC: pa.concat_arrays([src, dst]), DST: pa.concat_arrays([dst, src])})


def large_star_edges(edges: pa.Table) -> pa.Table:
    """:func:`large_star` of every ``src`` in ``edges`` (as given by :func:`both_directions`)."""
    src, dst, starts = _grouped(edges)
    smallest = np.minimum(np.repeat(dst[starts], np.diff(np.append(starts, src.size))), src)
    larger = dst > src
    return _step_table(dst[larger], smallest[larger], smallest[larger] != src[larger])


def small_star_edges(edges: pa.Table) -> pa.Table:
    """:func:`small_star` of every ``src`` in ``edges`` (each edge ``src > dst``)."""
    src, dst, starts = _grouped(edges)
    sizes = np.diff(np.append(starts, src.size))
    smallest = np.repeat(dst[starts], sizes)
    others = dst != smallest
    children = np.concatenate([src[starts], dst[others]])
    parents = np.concatenate([dst[starts], smallest[others]])
    changed = np.concatenate([np.zeros(starts.size, dtype=bool), np.ones(others.sum(), bool)])
    return _step_table(children, parents, changed)


def component_roots(edges: pa.Table) -> pa.Table:
    """``(src, dst)`` of a converged edge list: each non-root node and its component's root."""
    src, dst, starts = _grouped(edges)
    return pa.table({SRC: src[starts], DST: dst[starts]}, schema=EDGE_SCHEMA)


def connected_components(edges: pa.Table) -> pa.Table:
    """In-memory :func:`component_roots` of any edge list (for tests and small graphs)."""
    current = _oriented(edges)
    while True:
        large = large_star_edges(both_directions(current))
        small = small_star_edges(large)
        current = small.select([SRC, DST])
        if not (any(large[CHANGED].to_pylist()) or any(small[CHANGED].to_pylist())):
            return component_roots(current)


def _oriented(edges: pa.Table) -> pa.Table:
    """``edges`` with each pair written larger end first."""
    src = edges[SRC].to_numpy()
    dst = edges[DST].to_numpy()
    return pa.table({SRC: np.maximum(src, dst), DST: np.minimum(src, dst)}, schema=EDGE_SCHEMA)


def _grouped(edges: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct non-loop edges sorted by (src, dst), and the index where each src starts."""
    src = edges[SRC].to_numpy()
    dst = edges[DST].to_numpy()
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    keep = src != dst
    keep[1:] &= (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    src, dst = src[keep], dst[keep]
    starts = np.flatnonzero(np.append(True, src[1:] != src[:-1])) if src.size else src[:0]
    return src, dst, starts


def _step_table(src: np.ndarray, dst: np.ndarray, changed: np.ndarray) -> pa.Table:
    return pa.table({SRC: src, DST: dst, CHANGED: changed}, schema=STEP_SCHEMA)
