"""Exact deduplication: of the files sharing a content hash, keep the smallest doc id."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CONTENT_HASH = "content_hash"
DOC_ID = "doc_id"
DROP_REASON = "drop_reason"
SCOPE = "scope"  # optional: files are duplicates only within one scope (e.g. one language)
EXACT_REASON = "dedup:exact"
NEAR_REASON = "dedup:near"
DROP_SCHEMA = pa.schema([pa.field(DOC_ID, pa.int64()), pa.field(DROP_REASON, pa.string())])


def exact_duplicates(files: pa.Table) -> pa.Table:
    """``doc_id`` and ``drop_reason`` of every file but the first of its content hash.

    ``files`` has ``doc_id`` and ``content_hash`` and holds whole hash groups
    (one or many), as ``groupby("content_hash").map_groups`` gives them. A
    file without a hash duplicates nothing. With a ``scope`` column, only
    files of the same scope are duplicates.
    """
    files = files.filter(pc.is_valid(files[CONTENT_HASH]))
    keys = files[CONTENT_HASH]
    if SCOPE in files.column_names:
        keys = pc.binary_join_element_wise(pc.fill_null(files[SCOPE], ""), keys, "\x00")
    hashes = keys.to_numpy(zero_copy_only=False).astype(str)
    docs = files[DOC_ID].to_numpy()
    order = np.lexsort((docs, hashes))
    hashes, docs = hashes[order], docs[order]
    repeated = np.append(False, hashes[1:] == hashes[:-1]) if docs.size else docs.astype(bool)
    return drop_table(docs[repeated], EXACT_REASON)


def drop_table(doc_ids: np.ndarray, reason: str) -> pa.Table:
    """A ``(doc_id, drop_reason)`` table naming the same reason for every id."""
    reasons = pa.array(np.full(len(doc_ids), reason, dtype=object), pa.string())
    return pa.table({DOC_ID: pa.array(doc_ids, pa.int64()), DROP_REASON: reasons}, DROP_SCHEMA)


def one_reason_per_file(drops: pa.Table) -> pa.Table:
    """One row per ``doc_id`` of ``drops`` (whole doc_id groups), ``dedup:exact`` first.

    An exact duplicate is also in its twin's near-duplicate cluster; the
    report should name the stronger reason.
    """
    docs = drops[DOC_ID].to_numpy()
    near = pc.not_equal(drops[DROP_REASON], EXACT_REASON).to_numpy(zero_copy_only=False)
    order = np.lexsort((near, docs))
    first = np.append(True, docs[order][1:] != docs[order][:-1]) if docs.size else near
    return drops.take(order[first])
