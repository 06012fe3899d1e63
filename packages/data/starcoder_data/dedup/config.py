"""The dedup config, importable without Ray."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .lsh import BandShape, band_shape_for_recall


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
    # Below this estimate of memory (signature rows, or edges) the steps after MinHash run
    # in one task instead of distributed group-bys: 1 GiB is ~340k files at 256 permutations.
    local_memory_bytes: int = 1 << 30
    band_recall: float = 0.99  # LSH recall at the threshold (issue 15); pairs are verified

    @cached_property
    def band_shape(self) -> BandShape:
        """LSH bands x rows reaching ``band_recall`` at ``threshold`` (37 x 6 at 0.7, 256).

        StarCoder used datasketch's shape (25 x 10), whose S-curve is 0.51 at
        J = 0.7; pairs are verified here, so a lower-threshold shape is cheap.
        """
        return band_shape_for_recall(self.threshold, self.num_perm, self.band_recall)
