"""The settings of ``ray_jobs/build_index.py``: which training set, which n-grams, how exact."""

from __future__ import annotations

from dataclasses import dataclass

from starcoder_jobs.config import option

from .membership import MembershipConfig
from .ngrams import NgramConfig

_NGRAMS = NgramConfig()
_MEMBERSHIP = MembershipConfig()


@dataclass(frozen=True, kw_only=True)
class IndexJob:
    """The attribution index of a training set: membership filter and full-text search."""

    data: str = option("outputs/curated/data", "curated Parquet folder")
    output: str = option("outputs/attribution", "index folder")
    false_positive_rate: float = option(_MEMBERSHIP.false_positive_rate, "per n-gram")
    width: int = option(_NGRAMS.width, "n-gram characters")
    stride: int = option(_NGRAMS.stride, "indexing stride")
    min_chain: int = option(_MEMBERSHIP.min_chain, "n-gram hits that make a match")
    overwrite: bool = option(False, "replace a non-empty --output")
    address: str | None = option(None, "Ray cluster address (default: RAY_ADDRESS or local)")
    num_cpus: int | None = option(None, "CPUs of the local Ray (default: all)")
    batch_size: int = option(256, "files per hashing batch")

    def membership(self) -> MembershipConfig:
        return MembershipConfig(
            ngrams=NgramConfig(width=self.width, stride=self.stride),
            false_positive_rate=self.false_positive_rate,
            min_chain=self.min_chain,
        )


__all__ = ["IndexJob"]
