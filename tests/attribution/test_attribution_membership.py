import numpy as np
import pytest
from starcoder_attribution import (
    BloomFileError,
    BloomFilter,
    BloomSize,
    MembershipConfig,
    NgramConfig,
    check_membership,
    filter_size,
    hash_ngrams,
    indexed_ngrams,
    normalize_whitespace,
    normalize_with_offsets,
    query_ngrams,
)
from starcoder_attribution.membership import file_hashes

SOURCE = "\n".join(
    f"def handler_{i}(request, retries={i}):\n    return dispatch(request, attempt={i} % 7)\n"
    for i in range(40)
)


def build(texts: list[str], config: MembershipConfig) -> BloomFilter:
    hashes = [file_hashes(text, config.ngrams) for text in texts]
    bloom = BloomFilter.empty(filter_size(sum(len(h1) for h1, _ in hashes), config))
    for h1, h2 in hashes:
        bloom.add(h1, h2)
    return bloom


def test_normalisation_collapses_whitespace_and_maps_back():
    text = "  def f(x):\n\t\treturn  x\n"
    normalized = normalize_with_offsets(text)
    assert normalized.text == normalize_whitespace(text) == "def f(x): return x"
    start = normalized.text.index("return")
    original = text.index("return")
    assert normalized.original_span(start, start + 6) == (original, original + 6)
    assert normalize_with_offsets("   ").text == ""


def test_ngrams_index_every_stride_and_query_every_offset():
    config = NgramConfig(width=4, stride=4)
    assert indexed_ngrams("abcdefghij", config) == ["abcd", "efgh"]
    assert query_ngrams("abcdef", config) == ["abcd", "bcde", "cdef"]
    assert indexed_ngrams("abc", config) == []


def test_hashes_are_stable_across_processes():
    # BLAKE2b-128 of the UTF-8 n-gram, pinned: a saved filter must stay readable by any
    # process (Python's own hash() is salted per process).
    h1, h2 = hash_ngrams(["x" * 50])
    assert h1.dtype == np.uint64
    assert (int(h1[0]), int(h2[0])) == (3304562002214299450, 7834117753565894420)


def test_bloom_sizing_follows_the_optimal_formulas():
    size = BloomSize.for_capacity(1000, 0.01)
    assert size.num_hashes == 7  # (m/n) ln 2 with m/n = 9.59
    assert 9500 <= size.num_bits <= 9700 and size.num_bits % 64 == 0


def test_bloom_has_no_false_negatives_and_the_configured_false_positive_rate():
    present = [f"present item {i}" for i in range(20_000)]
    absent = [f"absent item {i}" for i in range(50_000)]
    bloom = BloomFilter.empty(BloomSize.for_capacity(len(present), 0.01))
    bloom.add(*hash_ngrams(present))
    assert bloom.contains(*hash_ngrams(present)).all()
    rate = bloom.contains(*hash_ngrams(absent)).mean()
    assert 0.01 / 1.5 <= rate <= 0.01 * 1.5


def test_bloom_save_open_and_merge(tmp_path):
    size = BloomSize.for_capacity(100, 0.01)
    left, right = BloomFilter.empty(size), BloomFilter.empty(size)
    left.add(*hash_ngrams(["left"]))
    right.add(*hash_ngrams(["right"]))
    left.merge(right)
    opened = BloomFilter.open(left.save(tmp_path / "f.bloom"))
    assert opened.contains(*hash_ngrams(["left", "right"])).all()
    assert opened.items == 2 and isinstance(opened.bits, np.memmap)
    with pytest.raises(ValueError, match="cannot merge"):
        left.merge(BloomFilter.empty(BloomSize.for_capacity(10_000, 0.01)))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.unlink(), "does not exist"),
        (lambda p: p.write_bytes(p.read_bytes()[:10]), "truncated"),
        (lambda p: p.write_bytes(b"NOTBLOOM" + p.read_bytes()[8:]), "bad magic"),
        (lambda p: p.write_bytes(p.read_bytes()[:-8]), "bytes, expected"),
        (lambda p: p.write_bytes(p.read_bytes()[:-1] + b"\xff"), "CRC mismatch"),
    ],
)
def test_damaged_filter_files_fail_naming_the_file(tmp_path, damage, message):
    bloom = BloomFilter.empty(BloomSize.for_capacity(100, 0.01))
    bloom.add(*hash_ngrams(["a"]))
    path = bloom.save(tmp_path / "membership.bloom")
    damage(path)
    with pytest.raises(BloomFileError, match=message) as error:
        BloomFilter.open(path)
    assert str(path) in str(error.value)


def test_a_copied_passage_is_a_member_with_its_span():
    config = MembershipConfig()
    bloom = build([SOURCE], config)
    copied = SOURCE[777:1377]
    snippet = "# my new module\nimport os\n\n" + copied.replace("\n    ", "\n        ") + "\n"
    result = check_membership(snippet, bloom, config)
    assert result.member
    [(start, end)] = result.spans
    # The span lies inside the pasted passage and covers all but its ragged ends.
    pasted = snippet.index(copied[:20])
    assert pasted <= start < pasted + 2 * config.ngrams.width
    assert end > len(snippet) - 2 * config.ngrams.width - 2
    assert 0.7 < result.matched_fraction < 1.0


def test_a_fresh_snippet_and_a_short_quote_are_not_members():
    config = MembershipConfig()
    bloom = build([SOURCE], config)
    fresh = "def parse_invoice(lines):\n    totals = {}\n" * 3 + "    return sorted(totals)\n"
    assert not check_membership(fresh, bloom, config).member
    # One indexed n-gram (under min_chain) is not enough to call a snippet a member.
    short = SOURCE[100:220]
    result = check_membership(short, bloom, config)
    assert result.ngram_hits >= 1 and not result.member


def test_any_copy_of_the_guaranteed_length_is_found_wherever_it_starts():
    config = MembershipConfig()
    bloom = build([SOURCE], config)
    normalized = normalize_whitespace(SOURCE)
    length = (config.min_chain + 1) * config.ngrams.width - 1
    for start in range(0, 400, 13):
        assert check_membership(normalized[start : start + length], bloom, config).member


def test_distinct_count_registers_match_datasketch_and_estimate_well():
    import struct

    from datasketch import HyperLogLog
    from starcoder_attribution.distinct import estimate_distinct, hll_registers

    items = [f"ngram {i % 30_000}" for i in range(60_000)]  # 30,000 distinct, each twice
    h1, _ = hash_ngrams(items)
    reference = HyperLogLog(p=14, hashfunc=lambda b: struct.unpack("<I", b)[0])
    for value in h1[:5000]:
        reference.update(struct.pack("<I", int(value) & 0xFFFFFFFF))
    assert (hll_registers(h1[:5000]) == reference.reg).all()
    assert abs(estimate_distinct(hll_registers(h1)) - 30_000) < 30_000 * 0.03
