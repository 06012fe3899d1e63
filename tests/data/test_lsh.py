"""LSH band shape and bucket edges."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from starcoder_data.dedup.lsh import (
    BandShape,
    band_keys,
    band_shape_for_recall,
    bucket_edges,
    candidate_probability,
    optimal_band_shape,
)


def test_starcoder_band_shape_matches_datasketch():
    assert optimal_band_shape(0.7, 256) == BandShape(bands=25, rows=10)


@pytest.mark.parametrize("threshold,num_perm", [(0.5, 128), (0.85, 256), (0.9, 64)])
def test_band_shape_matches_datasketch_elsewhere(threshold, num_perm):
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    assert optimal_band_shape(threshold, num_perm) == BandShape(bands=bands, rows=rows)


def test_band_keys_agree_exactly_where_a_band_agrees():
    shape = BandShape(bands=3, rows=2)
    base = np.arange(7, dtype=np.uint32)
    other = base.copy()
    other[2] += 1  # band 1 differs; bands 0 and 2 agree; value 6 is unused
    unused = base.copy()
    unused[6] += 1
    keys = band_keys(np.stack([base, other, unused]), shape)
    assert keys.dtype == np.int64 and keys.shape == (3, 3)
    assert (keys[0] == keys[1]).tolist() == [True, False, True]
    assert (keys[0] == keys[2]).all()
    assert len(set(keys[0].tolist())) == 3


def test_equal_rows_in_different_bands_get_different_keys():
    keys = band_keys(np.zeros((1, 4), dtype=np.uint32), BandShape(bands=2, rows=2))
    assert keys[0, 0] != keys[0, 1]


def test_bucket_edges_link_each_member_to_the_smallest():
    buckets = pa.table(
        {
            "band_key": pa.array([5, 9, 5, 5, 7, 9, 5], pa.int64()),
            "doc_id": pa.array([30, 4, 10, 20, 1, 4, -3], pa.int64()),
        }
    )
    edges = bucket_edges(buckets)
    assert sorted(zip(edges["src"].to_pylist(), edges["dst"].to_pylist(), strict=True)) == [
        (10, -3),
        (20, -3),
        (30, -3),
    ]


def test_bucket_edges_of_nothing_is_empty():
    empty = pa.table({"band_key": pa.array([], pa.int64()), "doc_id": pa.array([], pa.int64())})
    assert bucket_edges(empty).num_rows == 0


def test_band_shape_for_recall_reaches_it_at_the_threshold():
    shape = band_shape_for_recall(0.7, 256, 0.99)
    assert shape == BandShape(bands=37, rows=6)
    assert candidate_probability(0.7, shape) >= 0.99
    assert candidate_probability(0.7, BandShape(bands=36, rows=6)) < 0.99
    assert candidate_probability(0.7, optimal_band_shape(0.7, 256)) < 0.52  # datasketch's


def test_band_shape_for_recall_refuses_the_impossible():
    with pytest.raises(ValueError, match="no shape"):
        band_shape_for_recall(0.7, 2, 0.99)
