"""A Bloom filter on a numpy bit array, saved as one file and memory-mapped to query.

Chosen over ``rbloom`` by measurement (``benchmarks/attribution.py``): with
the same BLAKE2b hashes, numpy sets and tests whole arrays of n-grams at once,
partial filters built on many workers merge by a bitwise OR, and a saved filter
is queried straight from the page cache through ``np.memmap`` without being
read into memory first.

File layout: a 32-byte little-endian header (magic, number of bits, number of
hash functions, CRC-32 of the bits, number of items added), then the bits.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"SCBLOOM1"
_HEADER = struct.Struct("<8sQIIQ")  # magic, num_bits, num_hashes, crc32, items
_CHUNK_BITS = 1 << 28  # bits set per window in add(): a 256 MB bool array at most


class BloomFileError(ValueError):
    """A saved filter that is missing, truncated or corrupt; the message names the file."""


@dataclass(frozen=True, kw_only=True)
class BloomSize:
    num_bits: int
    num_hashes: int

    @classmethod
    def for_capacity(cls, items: int, false_positive_rate: float) -> BloomSize:
        """The optimal size: ``m = -n ln p / ln(2)^2`` bits, ``k = (m / n) ln 2`` hashes."""
        if not 0 < false_positive_rate < 1:
            raise ValueError(f"false_positive_rate must be in (0, 1), got {false_positive_rate}")
        items = max(items, 1)
        bits = math.ceil(-items * math.log(false_positive_rate) / math.log(2) ** 2)
        bits = max(64, -(-bits // 64) * 64)  # whole 64-bit words
        hashes = max(1, round(bits / items * math.log(2)))
        return cls(num_bits=bits, num_hashes=hashes)


class BloomFilter:
    """Set membership with false positives at a chosen rate and no false negatives."""

    def __init__(self, bits: np.ndarray, size: BloomSize, items: int = 0):
        self.bits = bits  # uint8, num_bits / 8 bytes; bit p is bits[p >> 3] >> (p & 7)
        self.size = size
        self.items = items

    @classmethod
    def empty(cls, size: BloomSize) -> BloomFilter:
        return cls(np.zeros(size.num_bits // 8, dtype=np.uint8), size)

    def _positions(self, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        # Kirsch-Mitzenmacher double hashing: position_i = h1 + i * h2 (mod m).
        steps = np.arange(self.size.num_hashes, dtype=np.uint64)
        h2 = h2 | np.uint64(1)  # odd, so the k positions differ
        with np.errstate(over="ignore"):
            combined = h1[:, None] + steps[None, :] * h2[:, None]
        return combined % np.uint64(self.size.num_bits)

    def add(self, h1: np.ndarray, h2: np.ndarray) -> None:
        # Setting bits through a bool array and packing it is ~10x faster than
        # np.bitwise_or.at; big filters go a window of _CHUNK_BITS at a time.
        positions = self._positions(h1, h2).ravel()
        if self.size.num_bits > _CHUNK_BITS:
            positions = np.sort(positions)
        for start in range(0, self.size.num_bits, _CHUNK_BITS):
            stop = min(start + _CHUNK_BITS, self.size.num_bits)
            if self.size.num_bits > _CHUNK_BITS:
                lo, hi = np.searchsorted(positions, [start, stop])
                window = positions[lo:hi]
            else:
                window = positions
            flags = np.zeros(stop - start, dtype=bool)
            flags[(window - np.uint64(start)).astype(np.int64)] = True
            self.bits[start // 8 : stop // 8] |= np.packbits(flags, bitorder="little")
        self.items += len(h1)

    def contains(self, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        """One bool per hashed item: all of its k bits are set."""
        if len(h1) == 0:
            return np.zeros(0, dtype=bool)
        positions = self._positions(h1, h2)
        bytes_ = self.bits[(positions >> np.uint64(3)).astype(np.int64)]
        hits = (bytes_ >> (positions & np.uint64(7)).astype(np.uint8)) & 1
        return hits.all(axis=1)

    def merge(self, other: BloomFilter) -> None:
        """Add every item of ``other`` (a filter of the same size) to this one."""
        if other.size != self.size:
            raise ValueError(f"cannot merge filters of sizes {self.size} and {other.size}")
        np.bitwise_or(self.bits, other.bits, out=self.bits)
        self.items += other.items

    def fill_ratio(self) -> float:
        return float(np.unpackbits(self.bits).mean())

    def expected_false_positive_rate(self) -> float:
        """``fill ^ k``: the rate a random absent item is reported present, from the bits set."""
        return self.fill_ratio() ** self.size.num_hashes

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        crc = zlib.crc32(self.bits)
        header = _HEADER.pack(MAGIC, self.size.num_bits, self.size.num_hashes, crc, self.items)
        with open(path, "wb") as out:
            out.write(header)
            out.write(self.bits.tobytes())
        return path

    @classmethod
    def open(cls, path: str | Path, *, verify: bool = True) -> BloomFilter:
        """Memory-map a saved filter; ``verify`` checks its CRC (one pass over the bits)."""
        path = Path(path)
        if not path.is_file():
            raise BloomFileError(f"membership filter {path} does not exist")
        with open(path, "rb") as stream:
            raw = stream.read(_HEADER.size)
        if len(raw) < _HEADER.size:
            raise BloomFileError(f"membership filter {path} is truncated (no header)")
        magic, num_bits, num_hashes, crc, items = _HEADER.unpack(raw)
        if magic != MAGIC:
            raise BloomFileError(f"{path} is not a membership filter (bad magic {magic!r})")
        expected = _HEADER.size + num_bits // 8
        if path.stat().st_size != expected:
            raise BloomFileError(
                f"membership filter {path} is {path.stat().st_size} bytes, expected {expected}"
            )
        bits = np.memmap(path, dtype=np.uint8, mode="r", offset=_HEADER.size)
        if verify and zlib.crc32(bits) != crc:
            raise BloomFileError(f"membership filter {path} is corrupt (CRC mismatch)")
        return cls(bits, BloomSize(num_bits=num_bits, num_hashes=num_hashes), items)
