"""Perplexity per language over windows of the model's context, on curated-style Parquet."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from starcoder_eval.perplexity import (
    PerplexityConfig,
    checkpoint_perplexity,
    read_documents,
    windows,
)


def write_curated(root):
    for language, text in {
        "python": "def f(x):\n    return x + 1\n",
        "c": "int main() { return 0; }\n",
    }.items():
        folder = root / f"language={language}"
        folder.mkdir(parents=True)
        rows = [{"repo": "o/r", "path": f"{i}", "content": text * (i + 1)} for i in range(4)]
        pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
    return root


def test_windows_do_not_overlap_and_drop_single_tokens():
    assert list(windows(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(windows(list(range(8)), 4)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_read_documents_caps_each_language(tmp_path):
    documents = read_documents(
        write_curated(tmp_path), PerplexityConfig(max_documents_per_language=2)
    )
    assert sorted(documents) == ["c", "python"] and all(len(v) == 2 for v in documents.values())


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
