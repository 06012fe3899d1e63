"""The index build's pieces, as Arrow batch functions that Ray Data maps over the data.

Membership: each batch of files becomes its n-gram hashes (one row per n-gram);
a HyperLogLog sketch per batch of hashes, merged, counts the distinct n-grams
the filter is sized for; each batch of hashes then becomes a partial filter,
and the partial filters merge by a bitwise OR.
Search: the driver streams the files into the full-text index.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from .bloom import BloomFilter, BloomSize
from .distinct import hll_registers
from .membership import file_hashes
from .ngrams import NgramConfig
from .search import SourceFile

INPUT_COLUMNS = ["repo", "path", "language", "license", "stars", "content"]
HASH_COLUMNS = ["h1", "h2"]


def hash_files(batch: pa.Table, config: NgramConfig) -> pa.Table:
    """The n-gram hashes of every file in the batch (``h1``, ``h2``: uint64 per n-gram)."""
    firsts, seconds = [], []
    for text in batch.column("content").to_pylist():
        h1, h2 = file_hashes(text or "", config)
        firsts.append(h1)
        seconds.append(h2)
    empty = np.zeros(0, dtype=np.uint64)
    return pa.table(
        {
            "h1": np.concatenate(firsts) if firsts else empty,
            "h2": np.concatenate(seconds) if seconds else empty,
        }
    )


def distinct_sketch(batch: pa.Table) -> pa.Table:
    """One row: the HyperLogLog registers of this batch's n-grams (merge by maximum)."""
    h1 = batch.column("h1").to_numpy().astype(np.uint64, copy=False)
    return pa.table({"registers": [hll_registers(h1).tobytes()]})


def merge_sketches(registers: np.ndarray, sketches: pa.Table) -> None:
    for raw in sketches.column("registers").to_pylist():
        np.maximum(registers, np.frombuffer(raw, dtype=np.int8), out=registers)


def partial_filter(batch: pa.Table, size: BloomSize) -> pa.Table:
    """One row: the bits of a filter holding this batch's hashes, and how many were added."""
    bloom = BloomFilter.empty(size)
    bloom.add(
        batch.column("h1").to_numpy().astype(np.uint64, copy=False),
        batch.column("h2").to_numpy().astype(np.uint64, copy=False),
    )
    return pa.table({"bits": [bloom.bits.tobytes()], "items": [bloom.items]})


def merge_partial(bloom: BloomFilter, partial: pa.Table) -> None:
    """OR every partial filter row of ``partial`` into ``bloom``."""
    for bits, items in zip(
        partial.column("bits").to_pylist(), partial.column("items").to_pylist(), strict=True
    ):
        bloom.merge(BloomFilter(np.frombuffer(bits, dtype=np.uint8), bloom.size, items))


def source_files(batch: pa.Table) -> Iterator[SourceFile]:
    """The curated rows of a batch as search-index documents."""
    for row in batch.select(INPUT_COLUMNS).to_pylist():
        yield SourceFile(
            repo=row["repo"] or "",
            path=row["path"] or "",
            language=row["language"] or "",
            license=row["license"] or "",
            stars=row["stars"],
            content=row["content"] or "",
        )
