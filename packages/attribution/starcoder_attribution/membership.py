"""The membership test: is (part of) this snippet in the training data?

A snippet's n-grams are looked up at every offset. A file's indexed n-grams
sit ``stride`` characters apart, so a copied passage shows as a *chain* of
hits at offsets ``i, i + stride, i + 2 * stride, ...``; a false positive is a
lone hit. Requiring ``min_chain`` hits in a chain turns the per-n-gram false
positive rate ``p`` into about ``p ** min_chain`` per offset: with ``p`` = 1%
and chains of 3, a freshly written 1 KB snippet is flagged about once in a
thousand, while any verbatim copy of ``(min_chain + 1) * width - 1``
normalised characters (199 by default) is always found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bloom import BloomFilter, BloomSize
from .ngrams import NgramConfig, hash_ngrams, indexed_ngrams, query_ngrams
from .normalize import NormalizedText, normalize_whitespace, normalize_with_offsets


@dataclass(frozen=True, kw_only=True)
class MembershipConfig:
    ngrams: NgramConfig = field(default_factory=NgramConfig)
    false_positive_rate: float = 0.01  # per n-gram; Data Portraits' filters were sized alike
    min_chain: int = 3  # hits a stride apart that make a match (see the module docstring)

    def to_dict(self) -> dict:
        return {
            "width": self.ngrams.width,
            "stride": self.ngrams.stride,
            "false_positive_rate": self.false_positive_rate,
            "min_chain": self.min_chain,
        }

    @classmethod
    def from_dict(cls, raw: dict) -> MembershipConfig:
        return cls(
            ngrams=NgramConfig(width=raw["width"], stride=raw["stride"]),
            false_positive_rate=raw["false_positive_rate"],
            min_chain=raw["min_chain"],
        )


@dataclass(frozen=True)
class MembershipResult:
    member: bool
    matched_fraction: float  # of the snippet's normalised characters inside a match
    spans: list[tuple[int, int]]  # matched [start, end) in the snippet as given
    ngram_hits: int  # n-grams found in the filter, matched or not
    ngrams_checked: int


def file_hashes(text: str, config: NgramConfig) -> tuple[np.ndarray, np.ndarray]:
    """The hashes one training file adds to the filter."""
    return hash_ngrams(indexed_ngrams(normalize_whitespace(text), config))


def filter_size(items: int, config: MembershipConfig) -> BloomSize:
    return BloomSize.for_capacity(items, config.false_positive_rate)


def _chains(hits: np.ndarray, stride: int, min_chain: int) -> list[tuple[int, int]]:
    """Runs of hits ``stride`` apart, at least ``min_chain`` long, as (first, last) offsets."""
    found = []
    for phase in range(min(stride, len(hits))):
        lane = hits[phase::stride]
        run_start = None
        for j, hit in enumerate(np.append(lane, False)):
            if hit and run_start is None:
                run_start = j
            elif not hit and run_start is not None:
                if j - run_start >= min_chain:
                    found.append((phase + run_start * stride, phase + (j - 1) * stride))
                run_start = None
    return found


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def check_membership(
    snippet: str, bloom: BloomFilter, config: MembershipConfig
) -> MembershipResult:
    """Look a snippet up in the filter; spans come back in the snippet's own coordinates."""
    normalized: NormalizedText = normalize_with_offsets(snippet)
    width, stride = config.ngrams.width, config.ngrams.stride
    ngrams = query_ngrams(normalized.text, config.ngrams)
    hits = bloom.contains(*hash_ngrams(ngrams))
    covered = _merge(
        [(first, last + width) for first, last in _chains(hits, stride, config.min_chain)]
    )
    matched_chars = sum(end - start for start, end in covered)
    return MembershipResult(
        member=bool(covered),
        matched_fraction=matched_chars / len(normalized.text) if normalized.text else 0.0,
        spans=[normalized.original_span(start, end) for start, end in covered],
        ngram_hits=int(hits.sum()),
        ngrams_checked=len(ngrams),
    )


def open_filter(path: str | Path, *, verify: bool = True) -> BloomFilter:
    return BloomFilter.open(path, verify=verify)
