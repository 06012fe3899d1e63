"""Shard files and manifest: the round trip, and a clear error for each way they can be broken."""

from __future__ import annotations

import json

import numpy as np
import pytest
from starcoder_data.tokens import (
    PackConfig,
    ShardWriter,
    SpecialIds,
    TokenShards,
    TokenShardsError,
    build_manifest,
    token_dtype,
    write_manifest,
)

SEQ_LEN = 8
SPECIAL = SpecialIds(0, 1, 2, 3, 4, 18, 5, 6)


def _write(root, blocks_by_source: dict[str, list[np.ndarray]], split: str = "train") -> dict:
    """Shards of ``split`` written as the packer does (sources interleaved), plus a manifest."""
    writers = {source: ShardWriter(root, split, source) for source in blocks_by_source}
    longest = max(len(blocks) for blocks in blocks_by_source.values())
    for i in range(longest):
        for source, blocks in blocks_by_source.items():
            if i < len(blocks):
                writers[source].write(blocks[i])
    shards = [entry for source in sorted(writers) for entry in writers[source].shards]
    splits = {split: {"shards": shards}}
    config = PackConfig(seq_len=SEQ_LEN, shard_tokens=64)
    manifest = build_manifest(
        config,
        splits,
        vocab_size=300,
        tokenizer_sha256="ab" * 32,
        special=SPECIAL,
        dtype=np.uint16,
    )
    write_manifest(root, manifest)
    return manifest


def _block(start: int, rows: int) -> np.ndarray:
    return np.arange(start, start + rows * SEQ_LEN, dtype=np.uint16).reshape(rows, SEQ_LEN)


@pytest.fixture
def shards(tmp_path):
    _write(
        tmp_path,
        {"local": [_block(0, 3), _block(100, 2)], "issues": [_block(200, 1), _block(300, 2)]},
    )
    return tmp_path


def test_round_trip_over_one_global_index(shards):
    data = TokenShards.open(shards, "train")
    assert len(data) == 8 and data.seq_len == SEQ_LEN and data.vocab_size == 300
    assert data.tokenizer_sha256 == "ab" * 32 and data.eod_id == 0
    assert data.sequences_by_source == {"issues": 3, "local": 5}
    assert data.source_ranges == {"issues": range(0, 3), "local": range(3, 8)}
    # issues first (sorted), each source's shards in written order
    np.testing.assert_array_equal(data.sequence(0), np.arange(200, 208))
    np.testing.assert_array_equal(data.sequence(1), np.arange(300, 308))
    np.testing.assert_array_equal(data.sequence(3), np.arange(0, 8))
    np.testing.assert_array_equal(data.sequence(7), np.arange(108, 116))
    batch = data.batch([7, 0, 3, 3])
    assert batch.dtype == np.int64 and batch.shape == (4, SEQ_LEN)
    np.testing.assert_array_equal(batch[:, 0], [108, 200, 0, 0])


def test_indices_out_of_range(shards):
    data = TokenShards.open(shards)
    with pytest.raises(IndexError):
        data.batch([8])
    with pytest.raises(IndexError):
        data.sequence(-1)


def test_missing_directory(tmp_path):
    with pytest.raises(TokenShardsError, match="does not exist"):
        TokenShards.open(tmp_path / "nowhere")


def test_missing_manifest(shards):
    (shards / "manifest.json").unlink()
    with pytest.raises(TokenShardsError, match="no manifest.json"):
        TokenShards.open(shards)


def test_other_format_version(shards):
    manifest = json.loads((shards / "manifest.json").read_text())
    write_manifest(shards, {**manifest, "format_version": 99})
    with pytest.raises(TokenShardsError, match="format version 99"):
        TokenShards.open(shards)


def test_unknown_split(shards):
    with pytest.raises(TokenShardsError, match=r"no split 'val' \(has \['train'\]\)"):
        TokenShards.open(shards, "val")


def test_missing_shard(shards):
    (shards / "train" / "local-00001.npy").unlink()
    with pytest.raises(TokenShardsError, match="local-00001.npy listed in the manifest is missing"):
        TokenShards.open(shards)


def test_empty_shard(shards):
    (shards / "train" / "issues-00000.npy").write_bytes(b"")
    with pytest.raises(TokenShardsError, match="issues-00000.npy is empty"):
        TokenShards.open(shards)


def test_truncated_shard(shards):
    path = shards / "train" / "local-00000.npy"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(TokenShardsError, match="local-00000.npy is not a readable"):
        TokenShards.open(shards)


def test_shape_mismatch(shards):
    np.save(shards / "train" / "local-00000.npy", _block(0, 2))
    with pytest.raises(TokenShardsError, match=r"uint16\[2, 8\], the manifest says uint16\[3, 8\]"):
        TokenShards.open(shards)


def test_dtype_mismatch(shards):
    np.save(shards / "train" / "local-00000.npy", _block(0, 3).astype(np.uint32))
    with pytest.raises(TokenShardsError, match=r"uint32\[3, 8\], the manifest says uint16"):
        TokenShards.open(shards)


def test_zero_sequences(tmp_path):
    _write(tmp_path, {"local": [_block(0, 1)]})
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["splits"]["val"] = {"shards": []}
    write_manifest(tmp_path, manifest)
    with pytest.raises(TokenShardsError, match="split 'val' has zero sequences"):
        TokenShards.open(tmp_path, "val")


def test_token_dtype_follows_the_vocabulary():
    assert token_dtype(49152) == np.uint16
    assert token_dtype(65535) == np.uint16
    assert token_dtype(65536) == np.uint32
