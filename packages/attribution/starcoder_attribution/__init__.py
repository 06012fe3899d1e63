"""Membership test and full-text search over the training set.

StarCoder shipped two attribution tools: a membership test (Data Portraits: a
Bloom filter over 50-character n-grams) and a full-text search returning the
source files. :class:`Attributor` answers both for one snippet; the index is
built by ``ray_jobs/build_index.py`` and checked from the shell with
``python -m starcoder_attribution``.
"""

from .attribute import (
    MAX_QUERY_CHARS,
    Attribution,
    AttributionQueryError,
    Attributor,
    Source,
    matching_lines,
    validate_query,
)
from .bloom import BloomFileError, BloomFilter, BloomSize
from .index_dir import MEMBERSHIP_FILE as INDEX_MEMBERSHIP_FILE
from .index_dir import SEARCH_DIR as INDEX_SEARCH_DIR
from .index_dir import IndexManifest, IndexNotFoundError, read_manifest
from .index_dir import write_manifest as write_index_manifest
from .membership import MembershipConfig, MembershipResult, check_membership, filter_size
from .ngrams import NgramConfig, hash_ngrams, indexed_ngrams, query_ngrams
from .normalize import NormalizedText, normalize_whitespace, normalize_with_offsets
from .search import SearchBackend, SearchHit, SearchIndexError, SourceFile, TantivySearch

__all__ = [
    "INDEX_MEMBERSHIP_FILE",
    "INDEX_SEARCH_DIR",
    "MAX_QUERY_CHARS",
    "Attribution",
    "AttributionQueryError",
    "Attributor",
    "BloomFileError",
    "BloomFilter",
    "BloomSize",
    "IndexManifest",
    "IndexNotFoundError",
    "MembershipConfig",
    "MembershipResult",
    "NgramConfig",
    "NormalizedText",
    "SearchBackend",
    "SearchHit",
    "SearchIndexError",
    "Source",
    "SourceFile",
    "TantivySearch",
    "check_membership",
    "filter_size",
    "hash_ngrams",
    "indexed_ngrams",
    "matching_lines",
    "normalize_whitespace",
    "normalize_with_offsets",
    "query_ngrams",
    "read_manifest",
    "validate_query",
    "write_index_manifest",
]
