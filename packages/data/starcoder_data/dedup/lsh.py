"""LSH banding: which (bands, rows) to use, and the bucket key of each band.

Two files whose signatures agree on all ``rows`` values of at least one of
``bands`` bands become a candidate pair. With Jaccard similarity ``s`` that
happens with probability ``1 - (1 - s**rows)**bands`` (the S-curve).

datasketch's ``MinHashLSH`` (and StarCoder through it) picks the shape that
minimises the weighted area of false positives below the threshold plus false
negatives above it: 25 x 10 at 0.7, whose S-curve is only 0.51 at J = 0.7.
Because every candidate pair is verified before it becomes an edge
(``verify``), a false positive costs a comparison, not a wrong removal, so
:func:`band_shape_for_recall` instead takes the cheapest shape whose S-curve
reaches a target recall at the threshold: 37 x 6 at 0.7 (0.990).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .components import DST, EDGE_SCHEMA, SRC
from .exact import SCOPE
from .minhash import Permutations, minhash_signatures

BAND_KEY = "band_key"
DOC_ID = "doc_id"
CONTENT = "content"
BUCKET_SCHEMA = pa.schema([pa.field(BAND_KEY, pa.int64()), pa.field(DOC_ID, pa.int64())])

_INTEGRATION_POINTS = 2001  # Simpson's rule on [0, threshold] and [threshold, 1]
_BAND_PRIME = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, kw_only=True)
class BandShape:
    """``bands`` bands of ``rows`` signature values each (``bands * rows <= num_perm``)."""

    bands: int
    rows: int


def _simpson(values: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Composite Simpson integral along the last axis of samples on an even grid."""
    step = (upper - lower) / (values.shape[-1] - 1)
    weights = np.ones(values.shape[-1])
    weights[1:-1:2] = 4.0
    weights[2:-1:2] = 2.0
    return values @ weights * step / 3.0


def optimal_band_shape(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,  # datasketch MinHashLSH default
    false_negative_weight: float = 0.5,  # datasketch MinHashLSH default
) -> BandShape:
    """The (bands, rows) minimising the weighted false-positive + false-negative areas."""
    below = np.linspace(0.0, threshold, _INTEGRATION_POINTS)
    above = np.linspace(threshold, 1.0, _INTEGRATION_POINTS)
    best, best_error = BandShape(bands=1, rows=1), np.inf
    for bands in range(1, num_perm + 1):
        rows = np.arange(1, num_perm // bands + 1, dtype=np.float64)[:, None]
        collide_below = 1.0 - (1.0 - below**rows) ** bands
        miss_above = (1.0 - above**rows) ** bands
        errors = false_positive_weight * _simpson(
            collide_below, 0.0, threshold
        ) + false_negative_weight * _simpson(miss_above, threshold, 1.0)
        i = int(np.argmin(errors))
        if errors[i] < best_error:
            best, best_error = BandShape(bands=bands, rows=i + 1), errors[i]
    return best


def candidate_probability(similarity: float, shape: BandShape) -> float:
    """The S-curve: probability that two files of Jaccard ``similarity`` share a bucket."""
    return 1.0 - (1.0 - similarity**shape.rows) ** shape.bands


def band_shape_for_recall(threshold: float, num_perm: int, recall: float) -> BandShape:
    """The shape reaching ``recall`` at ``threshold`` with the least false-positive area.

    Among all ``bands * rows <= num_perm`` whose S-curve is at least
    ``recall`` at ``threshold``, the one whose integral of the S-curve over
    ``[0, threshold]`` (the expected share of dissimilar pairs that must be
    verified) is smallest; ties go to fewer permutations.
    """
    below = np.linspace(0.0, threshold, _INTEGRATION_POINTS)
    best, best_area = None, np.inf
    for rows in range(1, num_perm + 1):
        for bands in range(1, num_perm // rows + 1):
            shape = BandShape(bands=bands, rows=rows)
            if candidate_probability(threshold, shape) < recall:
                continue
            area = _simpson(1.0 - (1.0 - below**rows) ** bands, 0.0, threshold)
            if area < best_area - 1e-12:
                best, best_area = shape, area
            break  # more bands at these rows only add false positives
    if best is None:
        raise ValueError(f"no shape of {num_perm} permutations reaches {recall} at {threshold}")
    return best


def band_keys(signatures: np.ndarray, shape: BandShape) -> np.ndarray:
    """The bucket key of every band of every signature: ``(n, bands)`` int64.

    A key hashes the band's index with its ``rows`` values, so buckets of all
    bands share one key space and one shuffle; a 64-bit key makes a chance
    collision between different bands negligible.
    """
    n = signatures.shape[0]
    used = signatures[:, : shape.bands * shape.rows].reshape(n, shape.bands, shape.rows)
    keys = np.broadcast_to(
        np.arange(shape.bands, dtype=np.uint64) * _BAND_PRIME, (n, shape.bands)
    ).copy()
    with np.errstate(over="ignore"):
        for row in range(shape.rows):
            keys ^= used[:, :, row].astype(np.uint64)
            keys *= _BAND_PRIME
            keys ^= keys >> np.uint64(31)
    return keys.view(np.int64)


def _scope_key(scope: str | None) -> int:
    digest = hashlib.blake2b((scope or "").encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def bucket_rows(
    files: pa.Table, *, permutations: Permutations, ngram: int, shape: BandShape
) -> pa.Table:
    """One ``(band_key, doc_id)`` row per band of every file of a ``doc_id``/``content`` batch.

    Files without a single token have no shingle and no rows: they are near
    duplicates of nothing. With a ``scope`` column, the scope is folded into
    every key, so files of different scopes never share a bucket.
    """
    signatures, num_shingles = minhash_signatures(files[CONTENT], permutations, ngram)
    has_shingles = num_shingles > 0
    keys = band_keys(signatures[has_shingles], shape)
    if SCOPE in files.column_names:
        scopes = np.array([_scope_key(s) for s in files[SCOPE].to_pylist()], dtype=np.int64)
        keys ^= scopes[has_shingles, None]
    docs = files[DOC_ID].to_numpy()[has_shingles]
    return pa.table(
        {BAND_KEY: keys.ravel(), DOC_ID: np.repeat(docs, shape.bands)}, schema=BUCKET_SCHEMA
    )


def bucket_edges(buckets: pa.Table) -> pa.Table:
    """Candidate edges ``(doc_id, smallest doc_id)`` of every bucket holding several docs.

    ``buckets`` has int64 columns ``band_key`` and ``doc_id`` and holds whole
    buckets (one or many). A bucket of k docs gives a star of k - 1 edges,
    not the k (k - 1) / 2 pairs: connected components need no more.
    """
    keys = buckets[BAND_KEY].to_numpy()
    docs = buckets[DOC_ID].to_numpy()
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    first = np.append(True, keys[1:] != keys[:-1]) if keys.size else np.zeros(0, bool)
    smallest = docs[np.maximum.accumulate(np.where(first, np.arange(keys.size), 0))]
    linked = docs != smallest
    return pa.table({SRC: docs[linked], DST: smallest[linked]}, schema=EDGE_SCHEMA)
