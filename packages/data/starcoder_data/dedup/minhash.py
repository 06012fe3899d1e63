"""MinHash signatures of code files: shingling and hashing in one compiled pass.

StarCoder (after the BigCode near-dedup script) splits a file into tokens on
the regex ``[^A-Za-z_0-9]``, takes the set of 5-grams of consecutive tokens as
its shingles and keeps 256 MinHash values per file. Done in Python, the regex
split alone runs at a few MB/s, so the whole path (tokenising, token hashing,
shingle hashing, 256 minima) is one numba kernel over the UTF-8 bytes of a
batch, read zero-copy from the Arrow string column.

Tokenising bytes is exact: every byte of a multi-byte UTF-8 character is
``>= 0x80`` and so a separator, just as the character is for the regex.

Files with fewer than ``ngram`` tokens get one shingle made of all their
tokens, so two short files are near duplicates only when their token
sequences are equal. Files with no token at all get no shingle; their
signature stays at the empty value and :func:`minhash_signatures` reports
zero shingles for them so that LSH leaves them out (the exact-duplicate pass
still sees them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TOKEN_SEPARATOR = re.compile(r"[^A-Za-z_0-9]")  # StarCoder / BigCode near-dedup
EMPTY_HASH = np.uint32(0xFFFFFFFF)  # the minimum of no hash values

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)  # FNV-1a 64-bit parameters
_FNV_PRIME = np.uint64(0x100000001B3)
_SHINGLE_PRIME = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio odd constant
_IS_WORD_BYTE = np.zeros(256, dtype=np.bool_)
for _byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789":
    _IS_WORD_BYTE[_byte] = True


@dataclass(frozen=True, kw_only=True)
class Permutations:
    """The hash family ``h_k(x) = (a_k * x + b_k) >> 32`` (mod 2**64), k < num_perm.

    Multiply-shift with odd ``a_k`` is 2-universal (Dietzfelbinger et al.
    1997) and, unlike datasketch's ``mod (2**61 - 1)``, needs no division, so
    the loop over the permutations vectorises.
    """

    a: np.ndarray  # (num_perm,) uint64, odd
    b: np.ndarray  # (num_perm,) uint64


def make_permutations(num_perm: int, seed: int) -> Permutations:
    """The ``num_perm`` hash functions drawn from ``seed`` (same seed, same functions)."""
    rng = np.random.default_rng(seed)
    high = np.iinfo(np.uint64).max
    a = rng.integers(0, high, size=num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1)
    b = rng.integers(0, high, size=num_perm, dtype=np.uint64, endpoint=True)
    return Permutations(a=a, b=b)


def doc_id_of(source: str, repo: str, path: str) -> int:
    """A stable 64-bit id (signed, for Arrow int64) of a file from where it was found."""
    key = "\x00".join((source, repo, path)).encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def tokenize(text: str) -> list[str]:
    """The tokens StarCoder shingles: split on ``[^A-Za-z_0-9]``, empties removed."""
    return [token for token in TOKEN_SEPARATOR.split(text) if token]


def shingles(text: str, ngram: int) -> set[tuple[str, ...]]:
    """The exact shingle set (for measuring Jaccard similarity; slow, pure Python).

    Follows the same short-file rule as the kernel: fewer than ``ngram``
    tokens make one shingle of all of them; no token makes no shingle.
    """
    tokens = tokenize(text)
    if 0 < len(tokens) < ngram:
        return {tuple(tokens)}
    return {tuple(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)}


def minhash_signatures(
    texts: pa.Array | pa.ChunkedArray, permutations: Permutations, ngram: int
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of a string column.

    Returns ``(signatures, num_shingles)``: ``(n, num_perm)`` uint32 and
    ``(n,)`` int64 (shingle occurrences, 0 for a null, empty or token-less
    text, whose signature is all :data:`EMPTY_HASH`).
    """
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    num_perm = permutations.a.size
    signatures = np.full((len(texts), num_perm), EMPTY_HASH, dtype=np.uint32)
    num_shingles = np.zeros(len(texts), dtype=np.int64)
    row = 0
    for chunk in chunks:
        data, offsets = _utf8_buffers(chunk)
        end = row + len(chunk)
        _signature_kernel(
            data,
            offsets,
            permutations.a,
            permutations.b,
            ngram,
            signatures[row:end],
            num_shingles[row:end],
        )
        row = end
    return signatures, num_shingles


def shingle_hashes(text: str, ngram: int) -> np.ndarray:
    """The 64-bit shingle hashes the kernel computes for ``text``, in order (for tests)."""
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    out = np.empty(max(len(data), 1), dtype=np.uint64)
    count = _shingle_hash_kernel(data, 0, len(data), ngram, out)
    return out[:count].copy()


def _utf8_buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Zero-copy views of a string array's bytes and its (n + 1) int64 offsets."""
    if pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type):
        offset_type = np.int32
    elif pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type):
        offset_type = np.int64
    else:
        chunk = chunk.cast(pa.large_string())
        offset_type = np.int64
    if chunk.null_count:
        chunk = pc.fill_null(chunk, "")
    _, offsets_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)
    offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)
    if data_buffer is None or len(data_buffer) == 0:
        return np.zeros(1, dtype=np.uint8), offsets
    return np.frombuffer(data_buffer, dtype=np.uint8), offsets


@numba.njit(cache=True, nogil=True, inline="always")
def _combine(ring, count, ngram):
    """Order-sensitive 64-bit hash of the last ``min(count, ngram)`` token hashes."""
    width = min(count, ngram)
    h = np.uint64(width)
    for j in range(count - width, count):
        h = (h ^ ring[j % ngram]) * _SHINGLE_PRIME
        h ^= h >> np.uint64(29)
    h ^= h >> np.uint64(32)
    h *= _SHINGLE_PRIME
    h ^= h >> np.uint64(29)
    return h


@numba.njit(cache=True, nogil=True)
def _shingle_hash_kernel(data, start, end, ngram, out):
    """Write the shingle hashes of ``data[start:end]`` to ``out``; return their count.

    One pass: a token is a maximal run of ``[A-Za-z0-9_]`` bytes, hashed with
    FNV-1a; the last ``ngram`` token hashes sit in a ring buffer.
    """
    ring = np.empty(ngram, dtype=np.uint64)
    tokens = 0
    count = 0
    h = _FNV_OFFSET
    in_token = False
    for i in range(start, end + 1):
        if i < end and _IS_WORD_BYTE[data[i]]:
            h = (h ^ np.uint64(data[i])) * _FNV_PRIME
            in_token = True
        elif in_token:
            ring[tokens % ngram] = h
            tokens += 1
            h = _FNV_OFFSET
            in_token = False
            if tokens >= ngram:
                out[count] = _combine(ring, tokens, ngram)
                count += 1
    if 0 < tokens < ngram:
        out[count] = _combine(ring, tokens, ngram)
        count += 1
    return count


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _signature_kernel(data, offsets, a, b, ngram, signatures, num_shingles):
    """Fill ``signatures[d]`` with the minima of ``h_k`` over document d's shingles.

    Shingle hashes of one document go to a scratch buffer first; the minima
    then run permutation-major, so the inner loop over shingles is a
    vectorised multiply-add-shift-min with ``a_k``, ``b_k`` held in registers.
    Repeated shingles are not removed: they cannot change a minimum.
    """
    num_perm = a.size
    longest = 1
    for d in range(offsets.size - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    scratch = np.empty(longest // 2 + 2, dtype=np.uint64)
    shift = np.uint64(32)
    for d in range(offsets.size - 1):
        count = _shingle_hash_kernel(data, offsets[d], offsets[d + 1], ngram, scratch)
        num_shingles[d] = count
        if count == 0:
            continue
        for k in range(num_perm):
            ak = a[k]
            bk = b[k]
            low = np.uint64(0xFFFFFFFF)
            for s in range(count):
                value = (ak * scratch[s] + bk) >> shift
                low = min(low, value)
            signatures[d, k] = np.uint32(low)
