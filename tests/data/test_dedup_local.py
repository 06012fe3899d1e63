"""Verified candidate pairs and the in-memory dedup decisions (no Ray)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pyarrow as pa
import pytest
from starcoder_data.dedup.components import EDGE_SCHEMA, connected_components
from starcoder_data.dedup.local import (
    bucket_group_edges,
    bucket_rows_of,
    duplicates_in_memory,
    near_edges,
    signature_columns,
    signature_rows,
)
from starcoder_data.dedup.lsh import BandShape
from starcoder_data.dedup.minhash import make_permutations, shingles
from starcoder_data.dedup.verify import (
    bucket_pairs,
    estimated_similarity,
    signature_array,
    signature_matrix,
    verified_edges,
)

SHAPE = BandShape(bands=37, rows=6)
PERMUTATIONS = make_permutations(256, 42)


def _pairs(first, second):
    return sorted(zip(first.tolist(), second.tolist(), strict=True))


def _edges(table):
    return sorted(zip(table["src"].to_pylist(), table["dst"].to_pylist(), strict=True))


def test_bucket_pairs_are_every_distinct_pair_sharing_a_key():
    keys = np.array([5, 9, 5, 5, 7, 9, 5, 9])
    rows = np.array([3, 1, 0, 2, 4, 1, 6, 8])
    first, second = bucket_pairs(keys, rows)
    assert _pairs(first, second) == [(0, 2), (0, 3), (0, 6), (1, 8), (2, 3), (2, 6), (3, 6)]


@pytest.mark.parametrize("size", [0, 1])
def test_bucket_pairs_of_fewer_than_two_rows_are_none(size):
    first, second = bucket_pairs(np.zeros(size, np.int64), np.arange(size))
    assert first.size == second.size == 0


def test_signature_column_round_trips_and_slices():
    signatures = np.arange(12, dtype=np.uint32).reshape(3, 4)
    column = signature_array(signatures)
    assert column.type == pa.binary(16)
    assert (signature_matrix(column) == signatures).all()
    assert (signature_matrix(column.slice(1, 2)) == signatures[1:]).all()
    chunked = pa.chunked_array([column.slice(0, 1), column.slice(1, 2)])
    assert (signature_matrix(chunked) == signatures).all()


def test_only_pairs_estimated_at_the_threshold_become_edges():
    signatures = np.zeros((4, 10), dtype=np.uint32)
    signatures[1, :3] = 1  # agrees with row 0 on 7 of 10: kept at 0.7
    signatures[2, :4] = 2  # 6 of 10 with rows 0 and 1: not kept
    signatures[3] = 9  # agrees with none
    docs = np.array([40, 10, 30, 20])
    keys = np.zeros(4, dtype=np.int64)  # all in one bucket
    agree = estimated_similarity(signatures, np.array([0, 0, 1]), np.array([1, 2, 2]))
    assert agree.tolist() == [0.7, 0.6, 0.6]
    edges = verified_edges(keys, np.arange(4), docs=docs, signatures=signatures, threshold=0.7)
    assert _edges(edges) == [(40, 10)]


def test_verified_edges_keep_a_chain_through_a_bucket():
    """a~b and b~c verified, a~c not: one component, as the verified pairs say."""
    signatures = np.zeros((3, 10), dtype=np.uint32)
    signatures[1, :2] = 1
    signatures[2, :4] = 1  # row 2 vs 1: 8 of 10; vs 0: 6 of 10
    edges = verified_edges(
        np.zeros(3, np.int64), np.arange(3), docs=np.array([1, 2, 3]), signatures=signatures,
        threshold=0.7,
    )  # fmt: skip
    assert _edges(edges) == [(2, 1), (3, 1)]


def _rows(docs: dict[int, str], scopes: dict[int, str] | None = None) -> pa.Table:
    ids = sorted(docs)
    columns = {
        "doc_id": pa.array(ids, pa.int64()),
        "content_hash": [hashlib.sha256(docs[i].encode()).hexdigest() for i in ids],
        "content": pa.array([docs[i] for i in ids], pa.large_string()),
    }
    if scopes is not None:
        columns["scope"] = [scopes[i] for i in ids]
    return signature_rows(pa.table(columns), permutations=PERMUTATIONS, ngram=5)


def _text(rng: random.Random, lines: int = 60) -> list[str]:
    words = [f"name{i}" for i in range(3000)]
    return [" ".join(rng.choice(words) for _ in range(8)) for _ in range(lines)]


def _decisions(rows: pa.Table) -> dict[int, str]:
    drops = duplicates_in_memory(rows, shape=SHAPE, threshold=0.7)
    return dict(zip(drops["doc_id"].to_pylist(), drops["drop_reason"].to_pylist(), strict=True))


def test_in_memory_decisions_on_planted_duplicates():
    rng = random.Random(1)
    a, b = _text(rng), _text(rng)
    near_a = a[:57] + _text(rng, 3)
    half_a = a[:30] + _text(rng, 30)  # J far below 0.7
    docs = {
        7: "\n".join(a), 3: "\n".join(a), 5: "\n".join(near_a), 9: "\n".join(half_a),
        11: "\n".join(b), 2: "+-*/", 4: "+-*/", 6: "x = 1", 8: "x = 1  ",
    }  # fmt: skip
    assert len(shingles(docs[9], 5) & shingles(docs[7], 5)) < 0.7 * len(
        shingles(docs[9], 5) | shingles(docs[7], 5)
    )
    assert _decisions(_rows(docs)) == {
        7: "dedup:exact",  # 3 has the same content and a smaller id
        5: "dedup:near",
        4: "dedup:exact",  # no token: an exact duplicate, never a near one
        8: "dedup:near",
    }


def test_scopes_are_deduplicated_apart():
    text = "\n".join(_text(random.Random(2)))
    docs = {1: text, 2: text, 3: text}
    rows = _rows(docs, scopes={1: "python", 2: "javascript", 3: "python"})
    assert _decisions(rows) == {3: "dedup:exact"}


@pytest.mark.parametrize("files", [0, 1])
def test_in_memory_decisions_of_nothing_and_one_file(files):
    rows = _rows({1: "def f(x): return x"})
    assert _decisions(rows.slice(0, files)) == {}


def test_bucket_groups_give_the_same_components_as_the_whole_corpus():
    """The distributed path's per-bucket edges join files exactly as the in-memory path."""
    rng = random.Random(3)
    base = [_text(rng) for _ in range(6)]
    docs = {}
    for i in range(30):
        lines = base[i % 6].copy()
        for j in rng.sample(range(60), rng.choice([0, 2, 5, 12, 25])):
            lines[j] = f"edit_{i}_{j} = {j}"
        docs[i * 7 % 31] = "\n".join(lines)
    rows = _rows(docs)
    buckets = bucket_rows_of(rows, shape=SHAPE)
    assert buckets.num_rows == 30 * SHAPE.bands
    per_bucket = bucket_group_edges(buckets, threshold=0.7)
    whole = near_edges(rows, shape=SHAPE, threshold=0.7)
    assert whole.num_rows > 0
    assert _edges(connected_components(per_bucket)) == _edges(connected_components(whole))


def test_an_empty_bucket_group_gives_no_edges():
    assert bucket_group_edges(pa.table({}), threshold=0.7) == EDGE_SCHEMA.empty_table()


def test_signature_columns_of_live_rows_match_signature_rows_and_dropped_rows_get_nulls():
    texts = ["def f(x):\n    return x + 1\n", "int main(void) { return 0; }\n", None]
    files = pa.table(
        {
            "doc_id": pa.array([7, 8, 9], pa.int64()),
            "content_hash": ["a", "b", None],
            "content": pa.array(texts, pa.large_string()),
            "language": ["python", "c", "python"],
            "drop_reason": [None, "quality:max_line_length", "read:too_large"],
        }
    )
    live = pa.array([True, False, False])
    tagged = signature_columns(
        files, live, permutations=PERMUTATIONS, ngram=5, scope_column="language"
    )
    assert tagged.column_names[:5] == files.column_names  # the row keeps what it had
    scoped = files.select(["doc_id", "content_hash", "content"]).append_column(
        "scope", files["language"]
    )
    expected = signature_rows(scoped.slice(0, 1), permutations=PERMUTATIONS, ngram=5)
    for name in ("exact_key", "scope_key", "shingled", "signature"):
        assert tagged[name].to_pylist() == [expected[name][0].as_py(), None, None]
    empty = signature_columns(
        files.slice(0, 0), live.slice(0, 0), permutations=PERMUTATIONS, ngram=5, scope_column=None
    )
    assert empty.num_rows == 0 and "signature" in empty.column_names
