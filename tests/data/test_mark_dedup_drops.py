"""Folding the dedup drop list into the rows without a join (no Ray)."""

from __future__ import annotations

import pyarrow as pa
from starcoder_data.curation import mark_dedup_drops


def _rows() -> pa.Table:
    return pa.table(
        {
            "doc_id": pa.array([4, 1, 9, 7], pa.int64()),
            "content": ["a", "b", None, "d"],
            "drop_reason": [None, None, "license:no_license", None],
        }
    )


def test_listed_live_rows_are_dropped_with_their_reason_and_lose_their_content():
    drops = pa.table(
        {
            "doc_id": pa.array([7, 9, 1, 100], pa.int64()),
            "drop_reason": ["dedup:near", "dedup:exact", "dedup:exact", "dedup:near"],
        }
    )
    marked = mark_dedup_drops(_rows(), drops)
    assert marked["doc_id"].to_pylist() == [4, 1, 9, 7]
    assert marked["drop_reason"].to_pylist() == [
        None, "dedup:exact", "license:no_license", "dedup:near",
    ]  # fmt: skip
    assert marked["content"].to_pylist() == ["a", None, None, None]


def test_no_drop_list_changes_nothing():
    assert mark_dedup_drops(_rows(), None) == _rows()
    empty = pa.table({"doc_id": pa.array([], pa.int64()), "drop_reason": pa.array([], pa.string())})
    assert mark_dedup_drops(_rows(), empty) == _rows()
    assert mark_dedup_drops(_rows().slice(0, 0), empty).num_rows == 0
