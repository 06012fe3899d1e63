"""The n-grams of the membership test and their hashes.

Data Portraits' setting, which StarCoder used: 50-character n-grams of
whitespace-normalised text, taken every 50 characters when indexing and at
every offset when querying. A copied span of at least ``2 * width - 1``
normalised characters always contains one whole indexed n-gram, so it is found
wherever it sits in the source; shorter copies are found when they happen to
cover an indexed n-gram.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class NgramConfig:
    width: int = 50  # Data Portraits / StarCoder: 50 characters
    stride: int = 50  # indexing stride; queries look at every offset

    def __post_init__(self):
        if self.width < 1 or self.stride < 1:
            raise ValueError(f"width and stride must be positive, got {self.width}, {self.stride}")


def indexed_ngrams(normalized: str, config: NgramConfig) -> list[str]:
    """The n-grams stored for one training file: every ``stride`` characters, whole ones only.

    A file shorter than one n-gram stores nothing: it cannot be matched by a
    ``width``-character query anyway.
    """
    last = len(normalized) - config.width
    return [normalized[i : i + config.width] for i in range(0, last + 1, config.stride)]


def query_ngrams(normalized: str, config: NgramConfig) -> list[str]:
    """Every ``width``-character window of a query, one per offset."""
    return [normalized[i : i + config.width] for i in range(len(normalized) - config.width + 1)]


def hash_ngrams(ngrams: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes per n-gram (BLAKE2b, stable across processes and runs).

    Python's own ``hash`` is salted per process, so a filter built with it
    would be unreadable by any other process.
    """
    digests = b"".join(hashlib.blake2b(g.encode("utf-8"), digest_size=16).digest() for g in ngrams)
    pairs = np.frombuffer(digests, dtype="<u8").reshape(-1, 2)
    return pairs[:, 0].copy(), pairs[:, 1].copy()
