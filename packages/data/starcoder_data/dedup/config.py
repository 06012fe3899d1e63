"""The dedup config, importable without Ray."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .lsh import BandShape, optimal_band_shape


@dataclass(frozen=True, kw_only=True)
class DedupConfig:
    """How files are compared and how the Ray steps are sized."""

    num_perm: int = 256  # StarCoder
    ngram: int = 5  # StarCoder
    threshold: float = 0.7  # StarCoder
    seed: int = 42  # fixes the hash functions: same seed, same clusters
    signature_batch_size: int = 2048  # files per map_batches call; ~2048 * 8 KB = 16 MB
    shuffle_partitions: int = 16  # partitions of each group-by and join
    # StarCoder deduplicated each language on its own; the curation job sets
    # "language". None compares every file with every other.
    scope_column: str | None = None
    max_rounds: int = 100  # large/small-star rounds; O(log^2 n) are needed

    @cached_property
    def band_shape(self) -> BandShape:
        """LSH bands x rows for ``threshold`` (25 x 10 for StarCoder's settings)."""
        return optimal_band_shape(self.threshold, self.num_perm)
