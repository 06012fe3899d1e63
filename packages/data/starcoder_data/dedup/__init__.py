"""Exact and near deduplication (MinHash LSH + connected components), as in StarCoder.

The pure pieces (``minhash``, ``lsh``, ``verify``, ``components``, ``exact``,
and ``local``, which runs them all in one process) work on Arrow tables and
numpy arrays; ``ray_dedup`` alone wires them into Ray Data
and is imported on demand so that the rest needs no Ray.
"""

from __future__ import annotations

from .components import connected_components
from .config import DedupConfig
from .exact import EXACT_REASON, NEAR_REASON, exact_duplicates
from .local import duplicates_in_memory, estimated_bytes, signature_rows
from .lsh import (
    BandShape,
    band_keys,
    band_shape_for_recall,
    bucket_edges,
    bucket_rows,
    candidate_probability,
    optimal_band_shape,
)
from .minhash import (
    Permutations,
    doc_id_of,
    make_permutations,
    minhash_signatures,
    shingles,
    tokenize,
)
from .verify import estimated_similarity, verified_edges

__all__ = [
    "EXACT_REASON",
    "NEAR_REASON",
    "BandShape",
    "DedupConfig",
    "Permutations",
    "band_keys",
    "bucket_edges",
    "bucket_rows",
    "connected_components",
    "doc_id_of",
    "exact_duplicates",
    "make_permutations",
    "minhash_signatures",
    "optimal_band_shape",
    "shingles",
    "tokenize",
    "band_shape_for_recall",
    "candidate_probability",
    "duplicates_in_memory",
    "estimated_bytes",
    "estimated_similarity",
    "signature_rows",
    "verified_edges",
]
