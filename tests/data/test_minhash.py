"""Shingling and MinHash signatures against pure-Python references."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from starcoder_data.dedup.minhash import (
    EMPTY_HASH,
    doc_id_of,
    make_permutations,
    minhash_signatures,
    shingle_hashes,
    shingles,
    tokenize,
)

MASK = (1 << 64) - 1
PERMUTATIONS = make_permutations(256, 42)


def _fnv1a(token: str) -> int:
    h = 0xCBF29CE484222325
    for byte in token.encode("ascii"):
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def _combine(hashes: list[int]) -> int:
    prime = 0x9E3779B97F4A7C15
    h = len(hashes)
    for token_hash in hashes:
        h = ((h ^ token_hash) * prime) & MASK
        h ^= h >> 29
    h ^= h >> 32
    h = (h * prime) & MASK
    return h ^ (h >> 29)


def _reference_hashes(text: str, ngram: int = 5) -> list[int]:
    hashes = [_fnv1a(t) for t in tokenize(text)]
    if 0 < len(hashes) < ngram:
        return [_combine(hashes)]
    return [_combine(hashes[i : i + ngram]) for i in range(len(hashes) - ngram + 1)]


TRICKY = [
    "",
    "   \n\t ",
    "+-*/ ==",
    "x",
    "def f(a, b):",
    "def f(a, b): return a+b",
    "naïve café = λ(x) → x**2  # ünïcödé",
    "日本語のコード and_more tokens_here 42 x9 _",
    "a\u00a0b\u2003c d e f",
    "emoji 🎉 split this text into five tokens",
    "trailing_token_at_end one two three four",
]


@pytest.mark.parametrize("text", TRICKY)
def test_shingle_hashes_match_python_reference(text):
    assert shingle_hashes(text, 5).tolist() == _reference_hashes(text)


def test_tokenize_splits_on_non_word_characters():
    assert tokenize("naïve café=λ(x_1)") == ["na", "ve", "caf", "x_1"]


def test_short_documents_make_one_shingle_of_all_tokens():
    assert shingles("def f(a):", 5) == {("def", "f", "a")}
    assert shingles("a b c d e f", 5) == {("a", "b", "c", "d", "e"), ("b", "c", "d", "e", "f")}
    assert shingles("+-*/", 5) == set()


def test_signature_is_the_minimum_over_shingle_hashes():
    text = "for i in range(10): print(i, i * 2)"
    signatures, counts = minhash_signatures(pa.array([text]), PERMUTATIONS, 5)
    x = shingle_hashes(text, 5)
    with np.errstate(over="ignore"):
        expected = ((PERMUTATIONS.a[:, None] * x[None, :] + PERMUTATIONS.b[:, None]) >> 32).min(1)
    assert counts.tolist() == [len(x)]
    assert signatures[0].tolist() == expected.astype(np.uint32).tolist()


def test_equal_documents_have_equal_signatures_and_empty_ones_none():
    texts = pa.array(["x = 1 + y", None, "x = 1 + y", "", "!!", "x = 1 + z"], pa.large_string())
    signatures, counts = minhash_signatures(texts, PERMUTATIONS, 5)
    assert counts.tolist() == [1, 0, 1, 0, 0, 1]
    assert (signatures[0] == signatures[2]).all()
    assert (signatures[[1, 3, 4]] == EMPTY_HASH).all()
    assert (signatures[0] != signatures[5]).mean() > 0.99


def test_chunked_and_sliced_columns_give_the_same_signatures():
    texts = [f"def f{i}(a, b):\n    return a * {i} + b - {i % 3}" for i in range(6)]
    whole, _ = minhash_signatures(pa.array(texts, pa.string()), PERMUTATIONS, 5)
    chunked = pa.chunked_array([pa.array(texts[:2]), pa.array(texts)[2:]])
    parts, _ = minhash_signatures(chunked, PERMUTATIONS, 5)
    assert (whole == parts).all()


def test_estimated_jaccard_is_close_to_exact():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    base = [words[i] for i in rng.integers(0, 60, 400)]
    variants = [base.copy() for _ in range(6)]
    for k, variant in enumerate(variants):
        for i in rng.choice(400, 10 * k, replace=False):
            variant[i] = "edit"
    texts = [" ".join(v) for v in variants]
    signatures, _ = minhash_signatures(pa.array(texts), PERMUTATIONS, 5)
    for k in range(1, 6):
        a, b = shingles(texts[0], 5), shingles(texts[k], 5)
        exact = len(a & b) / len(a | b)
        estimate = (signatures[0] == signatures[k]).mean()
        assert abs(estimate - exact) < 0.1, (k, exact, estimate)


def test_permutations_are_odd_and_seeded():
    again = make_permutations(256, 42)
    assert (PERMUTATIONS.a & 1).all()
    assert (again.a == PERMUTATIONS.a).all() and (again.b == PERMUTATIONS.b).all()
    assert not (make_permutations(256, 7).a == PERMUTATIONS.a).all()


def test_doc_id_is_a_stable_signed_64_bit_hash():
    first = doc_id_of("github:bigcode", "owner/repo", "src/a.py")
    assert first == doc_id_of("github:bigcode", "owner/repo", "src/a.py")
    assert first != doc_id_of("github:bigcode", "owner/repo", "src/b.py")
    assert first == -3374355238232066273
