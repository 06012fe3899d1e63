"""Dedup decisions from a table of signatures: every step after MinHash, in one process.

The compiled kernel turns a batch of files into one compact row per file
(:func:`signature_rows`: ids, keys and the signature, about 1 KiB at 256
permutations); once those rows fit in memory, exact duplicates, LSH buckets,
pair verification and connected components are a few numpy sorts in one
task, with none of the fixed cost of a distributed shuffle per step. The
distributed path (``ray_dedup``) computes the same decisions with group-bys
when they do not fit.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .components import DST, EDGE_SCHEMA, SRC, connected_components
from .exact import (
    CONTENT_HASH,
    DOC_ID,
    DROP_SCHEMA,
    EXACT_REASON,
    NEAR_REASON,
    SCOPE,
    drop_table,
    one_reason_per_file,
)
from .lsh import BAND_KEY, BandShape, band_keys
from .minhash import Permutations, minhash_signatures
from .verify import signature_array, signature_matrix, verified_edges

CONTENT = "content"
EXACT_KEY = "exact_key"  # 64-bit hash of (scope, content hash); null without a hash
SCOPE_KEY = "scope_key"  # 64-bit hash of the scope, folded into every band key
SHINGLED = "shingled"  # False for a file without a token: never a near duplicate
SIGNATURE = "signature"


def signature_schema(num_perm: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field(DOC_ID, pa.int64()),
            pa.field(EXACT_KEY, pa.int64()),
            pa.field(SCOPE_KEY, pa.int64()),
            pa.field(SHINGLED, pa.bool_()),
            pa.field(SIGNATURE, pa.binary(4 * num_perm)),
        ]
    )


def _key(*parts: str) -> int:
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def signature_rows(files: pa.Table, *, permutations: Permutations, ngram: int) -> pa.Table:
    """One signature row per file of a ``doc_id``/``content_hash``/``content`` batch.

    With a ``scope`` column, files of different scopes get different exact
    and scope keys, so they are never duplicates of each other.
    """
    signatures, num_shingles = minhash_signatures(files[CONTENT], permutations, ngram)
    scopes = files[SCOPE].to_pylist() if SCOPE in files.column_names else [None] * len(files)
    hashes = files[CONTENT_HASH].to_pylist()
    exact = [None if h is None else _key(s or "", h) for s, h in zip(scopes, hashes, strict=True)]
    return pa.table(
        {
            DOC_ID: files[DOC_ID].combine_chunks().cast(pa.int64()),
            EXACT_KEY: pa.array(exact, pa.int64()),
            SCOPE_KEY: pa.array([_key(s or "") for s in scopes], pa.int64()),
            SHINGLED: pa.array(num_shingles > 0),
            SIGNATURE: signature_array(signatures),
        },
        schema=signature_schema(permutations.a.size),
    )


SIGNATURE_COLUMNS = (EXACT_KEY, SCOPE_KEY, SHINGLED, SIGNATURE)  # what a row carries besides its id


def signature_columns(
    files: pa.Table,
    live: pa.ChunkedArray | pa.Array,
    *,
    permutations: Permutations,
    ngram: int,
    scope_column: str | None,
) -> pa.Table:
    """``files`` with :data:`SIGNATURE_COLUMNS` appended: set where ``live``, else null.

    Lets a job compute signatures while each file's content is in memory
    anyway (the curation job's filter step), so dedup later reads ~1 KiB per
    file instead of the whole content again.
    """
    selected = {DOC_ID: files[DOC_ID], CONTENT_HASH: files[CONTENT_HASH], CONTENT: files[CONTENT]}
    if scope_column:
        selected[SCOPE] = files[scope_column]
    rows = signature_rows(pa.table(selected), permutations=permutations, ngram=ngram)
    for name in SIGNATURE_COLUMNS:
        column = rows[name]
        files = files.append_column(
            rows.schema.field(name), pc.if_else(live, column, pa.scalar(None, column.type))
        )
    return files


def exact_drops(rows: pa.Table) -> pa.Table:
    """``dedup:exact`` for every file but the smallest doc id of its exact key.

    ``rows`` holds whole exact-key groups (one or many), as a group-by gives
    them, or the whole corpus.
    """
    rows = rows.filter(pc.is_valid(rows[EXACT_KEY]))
    keys = rows[EXACT_KEY].to_numpy()
    docs = rows[DOC_ID].to_numpy()
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    repeated = np.append(False, keys[1:] == keys[:-1]) if docs.size else docs.astype(bool)
    return drop_table(docs[repeated], EXACT_REASON)


def _identical_signature_edges(
    docs: np.ndarray, scopes: np.ndarray, signatures: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edges of files whose whole signature (and scope) equals another's, and the rest.

    Returns ``(edges, representatives)``: star edges to the smallest doc of
    each group of equal signatures, and the row of one file per group. A big
    group of equal files (vendored copies) then costs one LSH row, not a
    quadratic number of candidate pairs.
    """
    whole = BandShape(bands=1, rows=signatures.shape[1])
    keys = band_keys(signatures, whole)[:, 0] ^ scopes
    order = np.lexsort((docs, keys))
    first = np.append(True, keys[order][1:] != keys[order][:-1]) if order.size else order > 0
    group_first = order[np.maximum.accumulate(np.where(first, np.arange(order.size), 0))]
    same = (signatures[order] == signatures[group_first]).all(axis=1)
    same &= ~first
    edges = pa.table({SRC: docs[order[same]], DST: docs[group_first[same]]}, schema=EDGE_SCHEMA)
    return edges, np.sort(order[~same])


def near_edges(rows: pa.Table, *, shape: BandShape, threshold: float) -> pa.Table:
    """Verified near-duplicate edges of all shingled files of ``rows`` (in memory)."""
    rows = rows.filter(rows[SHINGLED])
    docs = rows[DOC_ID].to_numpy()
    scopes = rows[SCOPE_KEY].to_numpy()
    signatures = signature_matrix(rows[SIGNATURE])
    identical, representatives = _identical_signature_edges(docs, scopes, signatures)
    keys = band_keys(signatures[representatives], shape) ^ scopes[representatives, None]
    candidates = verified_edges(
        keys.ravel(),
        np.repeat(representatives, shape.bands),
        docs=docs,
        signatures=signatures,
        threshold=threshold,
    )
    return pa.concat_tables([identical, candidates])


def bucket_rows_of(rows: pa.Table, *, shape: BandShape) -> pa.Table:
    """``(band_key, doc_id, signature)``: one row per band of every shingled file."""
    rows = rows.filter(rows[SHINGLED])
    signatures = signature_matrix(rows[SIGNATURE])
    keys = band_keys(signatures, shape) ^ rows[SCOPE_KEY].to_numpy()[:, None]
    index = np.repeat(np.arange(rows.num_rows), shape.bands)
    return pa.table(
        {
            BAND_KEY: keys.ravel(),
            DOC_ID: rows[DOC_ID].to_numpy()[index],
            SIGNATURE: rows[SIGNATURE].take(index),
        }
    )


def bucket_group_edges(buckets: pa.Table, *, threshold: float) -> pa.Table:
    """Verified edges of whole buckets of :func:`bucket_rows_of` rows (for a group-by).

    Files with equal signatures are in all the same buckets, so collapsing
    them per bucket picks the same representatives as :func:`near_edges`
    does for the whole corpus, and the components come out the same.
    """
    if buckets.num_rows == 0 or BAND_KEY not in buckets.column_names:
        return EDGE_SCHEMA.empty_table()
    docs = buckets[DOC_ID].to_numpy()
    keys = buckets[BAND_KEY].to_numpy()
    signatures = signature_matrix(buckets[SIGNATURE])
    identical, representatives = _identical_signature_edges(docs, keys, signatures)
    candidates = verified_edges(
        keys[representatives],
        representatives,
        docs=docs,
        signatures=signatures,
        threshold=threshold,
    )
    return pa.concat_tables([identical, candidates])


def duplicates_in_memory(rows: pa.Table, *, shape: BandShape, threshold: float) -> pa.Table:
    """``doc_id`` and ``drop_reason`` of every file to drop, from the whole corpus's rows."""
    edges = near_edges(rows, shape=shape, threshold=threshold)
    roots = connected_components(edges) if edges.num_rows else edges
    near = drop_table(roots[SRC].to_numpy(), NEAR_REASON)
    drops = pa.concat_tables([exact_drops(rows), near])
    return one_reason_per_file(drops).cast(DROP_SCHEMA)


def estimated_bytes(files: int, num_perm: int) -> int:
    """Memory the in-memory path needs for ``files`` signature rows (with working copies)."""
    return files * (4 * num_perm + 25) * 3
