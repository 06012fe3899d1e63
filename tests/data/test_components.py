"""Large-star / small-star connected components on small graphs."""

from __future__ import annotations

import pyarrow as pa
import pytest
from starcoder_data.dedup.components import (
    both_directions,
    connected_components,
    large_star,
    large_star_edges,
    small_star,
    small_star_edges,
)


def _edges(pairs):
    src, dst = zip(*pairs, strict=True) if pairs else ((), ())
    return pa.table({"src": pa.array(src, pa.int64()), "dst": pa.array(dst, pa.int64())})


def _roots(pairs):
    roots = connected_components(_edges(pairs))
    return dict(zip(roots["src"].to_pylist(), roots["dst"].to_pylist(), strict=True))


def _triples(table):
    return sorted(
        zip(
            table["src"].to_pylist(),
            table["dst"].to_pylist(),
            table["changed"].to_pylist(),
            strict=True,
        )
    )


def test_large_star_links_larger_neighbours_to_the_minimum():
    assert large_star(5, [7, 2, 9, 3]) == [(7, 2), (9, 2)]
    assert large_star(1, [4, 6]) == [(4, 1), (6, 1)]
    assert large_star(8, [2, 3]) == []


def test_small_star_links_node_and_smaller_neighbours_to_the_minimum():
    assert small_star(9, [4, 2, 7]) == [(4, 2), (7, 2), (9, 2)]
    assert small_star(9, [4]) == [(9, 4)]


def test_table_steps_agree_with_per_node_steps_and_mark_changes():
    edges = _edges([(7, 5), (5, 2), (9, 5), (5, 3), (6, 1), (4, 1)])
    large = large_star_edges(both_directions(edges))
    assert _triples(large) == [
        (4, 1, False),
        (5, 2, False),
        (5, 3, False),
        (6, 1, False),
        (7, 2, True),
        (9, 2, True),
    ]
    per_node = large_star(5, [7, 2, 9, 3]) + large_star(3, [5]) + large_star(2, [5])
    assert sorted(per_node + large_star(1, [6, 4])) == [(s, d) for s, d, _ in _triples(large)]
    small = small_star_edges(_edges([(9, 4), (9, 2), (9, 7), (3, 1)]))
    assert _triples(small) == [(3, 1, False), (4, 2, True), (7, 2, True), (9, 2, False)]


@pytest.mark.parametrize(
    "pairs,expected",
    [
        ([(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)], {2: 1, 3: 1, 4: 1, 5: 1, 6: 1}),
        ([(6, 5), (5, 4), (4, 3), (3, 2), (2, 1)], {2: 1, 3: 1, 4: 1, 5: 1, 6: 1}),
        ([(10, 3), (10, 7), (10, 1), (10, 8)], {3: 1, 7: 1, 8: 1, 10: 1}),
        ([(1, 2), (2, 3), (10, 20), (20, -5)], {2: 1, 3: 1, 10: -5, 20: -5}),
        ([(4, 9), (9, 2), (2, 7), (7, 4)], {4: 2, 7: 2, 9: 2}),
        ([(3, 3), (3, 5), (5, 3)], {5: 3}),
        ([], {}),
    ],
    ids=[
        "chain",
        "reversed-chain",
        "star",
        "two-components",
        "cycle",
        "loops-and-repeats",
        "empty",
    ],
)
def test_components_label_every_node_with_its_smallest(pairs, expected):
    assert _roots(pairs) == expected


def test_long_interleaved_chain_converges():
    order = [0, 50, 1, 49, 2, 48, 3, 47, 4, 46, 5, 45, 6, 44, 7, 43, 8, 42, 9, 41]
    pairs = list(zip(order[:-1], order[1:], strict=True))
    assert _roots(pairs) == {node: 0 for node in order[1:]}
