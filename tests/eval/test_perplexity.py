"""Perplexity per language over windows of the model's context, on the held-out split only."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from starcoder_data.tokens import HeldOutError, content_id, name_id
from starcoder_data.tokens.held_out import write_train_files
from starcoder_eval.perplexity import (
    PerplexityConfig,
    checkpoint_perplexity,
    read_documents,
    windows,
)


def _row(repo: str, path: str, content: str) -> dict:
    digest = hashlib.sha256(content.encode()).hexdigest()
    return {"repo": repo, "path": path, "content_hash": digest, "content": content}


def write_curated(root, training=(), held_out=True):
    """Curated-style Parquet as packing writes its held-out split (with the training ids)."""
    for language, text in {
        "python": "def f(x):\n    return x + 1\n",
        "c": "int main() { return 0; }\n",
    }.items():
        folder = root / f"language={language}"
        folder.mkdir(parents=True)
        rows = [_row("o/r", f"{language}/{i}", text * (i + 1)) for i in range(4)]
        pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
    if held_out:
        names = np.array([name_id(r["repo"], r["path"]) for r in training], np.uint64)
        contents = np.array([content_id(r["content_hash"]) for r in training], np.uint64)
        write_train_files(root, names, contents)
    return root


def test_windows_do_not_overlap_and_drop_single_tokens():
    assert list(windows(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(windows(list(range(8)), 4)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_read_documents_caps_each_language(tmp_path):
    documents = read_documents(
        write_curated(tmp_path), PerplexityConfig(max_documents_per_language=2)
    )
    assert sorted(documents) == ["c", "python"] and all(len(v) == 2 for v in documents.values())


def test_a_token_folder_is_read_through_its_held_out_split(tmp_path):
    write_curated(tmp_path / "tokens" / "held_out")
    documents = read_documents(tmp_path / "tokens", PerplexityConfig())
    assert {k: len(v) for k, v in documents.items()} == {"c": 4, "python": 4}


def test_the_training_data_or_any_unmarked_folder_is_refused(tmp_path):
    curated = write_curated(tmp_path / "curated", held_out=False)
    with pytest.raises(HeldOutError, match="not a held-out split written by pack_tokens.py"):
        read_documents(curated, PerplexityConfig())


def test_a_held_out_folder_holding_a_training_file_is_refused(tmp_path):
    by_name = [_row("o/r", "python/2", "other content")]  # same repo + path
    with pytest.raises(HeldOutError, match=r"1 training file\(s\) \(e.g. o/r/python/2\)"):
        read_documents(write_curated(tmp_path / "a", training=by_name), PerplexityConfig())
    by_content = [_row("x/y", "copy.c", "int main() { return 0; }\n")]  # same content
    with pytest.raises(HeldOutError, match=r"o/r/c/0\): refusing"):
        read_documents(write_curated(tmp_path / "b", training=by_content), PerplexityConfig())
    unrelated = [_row("x/y", "z.py", "print(1)\n")]
    assert len(read_documents(write_curated(tmp_path / "c", training=unrelated),
                              PerplexityConfig())["c"]) == 4  # fmt: skip


def test_an_empty_held_out_split_has_no_documents(tmp_path):
    write_train_files(tmp_path / "held_out", np.empty(0), np.empty(0))
    assert read_documents(tmp_path, PerplexityConfig()) == {}


def test_checkpoint_perplexity_matches_the_models_own_loss(micro_checkpoint, tmp_path):
    from starcoder_model import load_model
    from transformers import AutoTokenizer

    data = write_curated(tmp_path)
    config = PerplexityConfig(max_documents_per_language=1, window=64)
    results = checkpoint_perplexity(micro_checkpoint, data, config)
    assert sorted(results) == ["c", "python"]
    python = results["python"]
    assert python["perplexity"] == pytest.approx(math.exp(python["nll"]))

    model = load_model(micro_checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(str(micro_checkpoint))
    ids = tokenizer("def f(x):\n    return x + 1\n<|endoftext|>", return_tensors="pt")["input_ids"]
    assert ids.shape[1] <= 64 and python["tokens"] == ids.shape[1] - 1
    with torch.no_grad():
        loss = model(input_ids=ids, labels=ids).loss
    assert python["nll"] == pytest.approx(float(loss), rel=1e-4)
