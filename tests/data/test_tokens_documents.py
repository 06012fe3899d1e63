"""From curated rows to packed shards without Ray: encoding, splits, order, and the manifest."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow as pa
import pytest
from starcoder_data.tokens import (
    DocumentEncoder,
    PackConfig,
    SpecialIds,
    TokenPacker,
    TokenShards,
    build_manifest,
    content_id,
    document_rng,
    format_summary,
    is_validation,
    name_id,
    plan_document,
    source_kind,
    write_manifest,
)
from starcoder_data.tokens.documents import TOKEN_BYTES

CONFIG = PackConfig(seq_len=32, shard_tokens=32 * 4, val_fraction=0.25, metadata_rate=0.5)
SORT = [("order_key", "ascending"), ("order_tie", "ascending")]
SNIPPETS = ["def f(x):\n    return x * 2\n", "int g(void) { return 1; }\n", "# naïve café ✓\n"]


def _rows(n: int = 40) -> pa.Table:
    rows = []
    for i in range(n):
        content = SNIPPETS[i % 3] * (i % 5) + f"# file {i}\n" if i % 13 else ""
        rows.append(
            {
                "repo": f"owner/repo{i % 4}",
                "path": f"src/file{i}.py",
                "source": ["local:/usr/lib", "issues:/data/x.jsonl"][i % 2],
                "stars": [None, 3, 50, 5000][i % 4],
                "content_hash": hashlib.sha256(content.encode()).hexdigest(),
                "content": content,
                "language": ["python", "c"][i % 2],
            }
        )
    return pa.Table.from_pylist(rows)


def test_source_kind():
    assert source_kind("issues:/data/x.jsonl") == "issues"
    assert source_kind("local") == "local"
    assert source_kind("git:https://x/y") == "git"
    assert source_kind("we ird/kind:loc") == "we_ird_kind"
    assert source_kind(None) == "unknown"


def test_split_is_a_function_of_repo_and_path_only():
    names = [(f"o/r{i % 50}", f"p{i}.py") for i in range(20_000)]
    held = [is_validation(r, p, 0.01) for r, p in names]
    assert abs(np.mean(held) - 0.01) < 0.003
    assert held == [is_validation(r, p, 0.01) for r, p in reversed(names)][::-1]
    assert not any(is_validation(r, p, 0.0) for r, p in names[:500])
    assert all(is_validation(r, p, 1.0) for r, p in names[:500])
    # a larger fraction only adds files to validation
    assert all(is_validation(r, p, 0.05) for (r, p), h in zip(names, held, strict=True) if h)


def test_a_document_is_its_metadata_then_its_content():
    config = PackConfig(metadata_rate=1.0)
    text = plan_document("print(1)\n", "acme/app", "a.py", 7, "ab" * 32, config)
    assert text == "<reponame>acme/app<filename>a.py<gh_stars>1-10\nprint(1)\n"
    assert plan_document("x\n", "r", "p", 7, "ab" * 32, PackConfig(metadata_rate=0.0)) == "x\n"


def test_draws_depend_on_seed_and_content_hash_only():
    a = plan_document("x = 1\n" * 20, "r", "p", 1, "cd" * 32, CONFIG)
    assert plan_document("x = 1\n" * 20, "r", "p", 1, "cd" * 32, CONFIG) == a
    draws = {document_rng(s, "cd" * 32).integers(0, 2**32) for s in range(5)}
    assert len(draws) == 5


def test_encoder_rows_do_not_depend_on_batching(tokenizer):
    encoder = DocumentEncoder(tokenizer.to_str(), CONFIG)
    table = _rows()
    whole = encoder(table)
    parts = [encoder(table.slice(i, 7)) for i in range(0, table.num_rows, 7)]
    assert pa.concat_tables(parts).equals(whole)
    reversed_rows = encoder(table.take(list(range(table.num_rows))[::-1]))
    assert reversed_rows.sort_by(SORT).equals(whole.sort_by(SORT))


def test_encoded_documents_decode_to_their_text(tokenizer):
    encoder = DocumentEncoder(tokenizer.to_str(), CONFIG)
    special = SpecialIds.from_tokenizer(tokenizer)
    table = _rows()
    encoded = encoder(table).to_pylist()
    assert {row["split"] for row in encoded} == {"train", "val"}
    assert {row["source"] for row in encoded} == {"local", "issues"}
    for row, doc in zip(table.to_pylist(), encoded, strict=True):
        ids = np.frombuffer(doc["tokens"], dtype=TOKEN_BYTES).tolist()
        assert doc["n_tokens"] == len(ids)
        assert doc["name_id"] == name_id(row["repo"], row["path"])
        assert doc["content_id"] == content_id(row["content_hash"])
        if not row["content"]:
            assert ids == []
            continue
        assert ids[-1] == special.eod and special.fim_prefix not in ids  # FIM: at training
        text = tokenizer.decode(ids[:-1], skip_special_tokens=False)
        assert text.endswith(row["content"])  # after the metadata header, if one was drawn
        assert doc["n_bytes"] == len(row["content"].encode())


def test_a_missing_content_hash_is_computed(tokenizer):
    encoder = DocumentEncoder(tokenizer.to_str(), CONFIG)
    table = _rows(6)
    nulled = table.set_column(
        table.schema.get_field_index("content_hash"),
        "content_hash",
        pa.nulls(table.num_rows, pa.string()),
    )
    assert encoder(nulled).equals(encoder(table))


def _pack(tokenizer, root, batches) -> dict:
    special = SpecialIds.from_tokenizer(tokenizer)
    packer = TokenPacker(root, CONFIG, np.uint16)
    for batch in batches:
        packer.add(batch)
    manifest = build_manifest(
        CONFIG,
        packer.finish(),
        vocab_size=tokenizer.get_vocab_size(),
        tokenizer_sha256="0" * 64,
        special=special,
        dtype=np.uint16,
        languages=packer.languages,
    )
    write_manifest(root, manifest)
    return manifest


def test_packing_keeps_every_token_and_accounts_for_the_tail(tokenizer, tmp_path):
    encoded = DocumentEncoder(tokenizer.to_str(), CONFIG)(_rows()).sort_by(SORT)
    manifest = _pack(tokenizer, tmp_path / "a", [encoded])
    docs = encoded.to_pylist()
    for split, entry in manifest["splits"].items():
        mine = [d for d in docs if d["split"] == split and d["n_tokens"]]
        assert entry["documents"] == len(mine)
        assert entry["empty_documents"] == sum(
            1 for d in docs if d["split"] == split and not d["n_tokens"]
        )
        assert entry["tokens"] == sum(d["n_tokens"] for d in mine)
        assert entry["tokens"] == entry["sequences"] * CONFIG.seq_len + entry["dropped_tail_tokens"]
        assert sum(entry["tokens_by_language"].values()) == entry["tokens"]
        shards = TokenShards.open(tmp_path / "a", split)
        for source, indices in shards.source_ranges.items():
            stream = np.concatenate(
                [np.frombuffer(d["tokens"], TOKEN_BYTES) for d in mine if d["source"] == source]
            )
            packed = shards.batch(list(indices)).reshape(-1)
            np.testing.assert_array_equal(packed, stream[: len(packed)])
            tail = entry["dropped_tail_tokens_by_source"][source]
            assert len(stream) - len(packed) == tail < CONFIG.seq_len
            # each row's language: the one most of its tokens come from (ties: first seen)
            codes = {name: i for i, name in enumerate(manifest["languages"])}
            labels = np.concatenate(
                [
                    np.full(d["n_tokens"], codes[d["language"]])
                    for d in mine
                    if d["source"] == source
                ]
            )[: len(packed)].reshape(len(indices), CONFIG.seq_len)
            expected = [np.bincount(row, minlength=len(codes)).argmax() for row in labels]
            assert shards.row_languages[list(indices)].tolist() == expected


def test_packing_does_not_depend_on_batch_boundaries(tokenizer, tmp_path):
    encoded = DocumentEncoder(tokenizer.to_str(), CONFIG)(_rows()).sort_by(SORT)
    _pack(tokenizer, tmp_path / "one", [encoded])
    _pack(tokenizer, tmp_path / "many", [encoded.slice(i, 3) for i in range(0, 40, 3)])
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.*"))
    assert len(files) > 3
    for name in files:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "many" / name).read_bytes()


def test_summary_table(tokenizer, tmp_path):
    encoded = DocumentEncoder(tokenizer.to_str(), CONFIG)(_rows())
    manifest = _pack(tokenizer, tmp_path, [encoded.sort_by(SORT)])
    summary = format_summary(manifest)
    for label in ("documents", "tokens", "sequences", "tokens_by_source:", "  issues", "  c"):
        assert label in summary
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest


def test_packing_refuses_documents_out_of_order(tokenizer, tmp_path):
    encoded = DocumentEncoder(tokenizer.to_str(), CONFIG)(_rows()).sort_by(SORT)
    packer = TokenPacker(tmp_path, CONFIG, np.uint16)
    packer.add(encoded.slice(20))
    with pytest.raises(ValueError, match="sorted on order_key"):
        packer.add(encoded.slice(0, 20))
    with pytest.raises(ValueError, match="sorted on order_key"):
        TokenPacker(tmp_path, CONFIG, np.uint16).add(encoded.take([1, 0]))


def test_the_packer_records_the_training_files_only(tokenizer, tmp_path):
    encoded = DocumentEncoder(tokenizer.to_str(), CONFIG)(_rows()).sort_by(SORT)
    packer = TokenPacker(tmp_path, CONFIG, np.uint16)
    packer.add(encoded)
    names, contents = packer.training_files()
    docs = encoded.to_pylist()
    train = [d for d in docs if d["split"] == "train" and d["n_tokens"]]
    assert names.tolist() == sorted({d["name_id"] for d in train})
    assert contents.tolist() == sorted({d["content_id"] for d in train})
    held = {d["name_id"] for d in docs if d["split"] == "val"}
    assert held and not held & set(names.tolist())
    empty = TokenPacker(tmp_path / "empty", CONFIG, np.uint16).training_files()
    assert [len(x) for x in empty] == [0, 0]
