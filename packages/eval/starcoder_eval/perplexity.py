"""Perplexity per language on the held-out split packing wrote, and on nothing else.

``pack_tokens.py`` writes the files it holds out of training as curated
Parquet under ``<tokens>/held_out/`` with the identities of the training
files; :func:`read_documents` reads only such a folder and refuses one that
shares a file with the training data (``starcoder_data.tokens.open_held_out``),
so a perplexity here is always measured on files the model did not train on.

Each document is tokenized with the checkpoint's tokenizer, ended with its
family's end-of-text (``<|endoftext|>`` for StarCoder) and cut into
non-overlapping windows of the model's context; every token after a
window's first is predicted once, so a language's perplexity is
``exp(total negative log-likelihood / predicted tokens)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from starcoder_data.families import family_for
from starcoder_data.special_tokens import ENDOFTEXT
from starcoder_data.tokens import open_held_out


@dataclass(frozen=True, kw_only=True)
class PerplexityConfig:
    max_documents_per_language: int = 200
    max_tokens_per_language: int = 200_000
    window: int | None = None  # None: the model's positions (n_positions / max_position_embeddings)
    batch_size: int = 8
    languages: tuple[str, ...] | None = None  # None: every language in the data


def read_documents(data_dir: str | Path, config: PerplexityConfig) -> dict[str, list[str]]:
    """Up to ``max_documents_per_language`` held-out documents per language, in file order.

    ``data_dir`` is a token folder or its ``held_out/`` folder; anything else,
    or a held-out folder holding a training file, raises ``HeldOutError``.
    """
    import pyarrow.dataset as pads

    held_out = open_held_out(data_dir)
    if held_out.files == 0:
        return {}
    dataset = pads.dataset(str(held_out.folder), format="parquet", partitioning="hive")
    documents: dict[str, list[str]] = defaultdict(list)
    for batch in dataset.to_batches(columns=["content", "language"]):
        for content, language in zip(
            batch.column("content").to_pylist(), batch.column("language").to_pylist(), strict=True
        ):
            if config.languages and language not in config.languages:
                continue
            if content and len(documents[language]) < config.max_documents_per_language:
                documents[language].append(content)
    return dict(documents)


def windows(token_ids: list[int], size: int) -> Iterable[list[int]]:
    """Non-overlapping windows of at most ``size`` tokens, each at least two long."""
    for start in range(0, len(token_ids), size):
        window = token_ids[start : start + size]
        if len(window) >= 2:
            yield window


def perplexity_by_language(
    model, tokenizer, documents: dict[str, list[str]], config: PerplexityConfig
) -> dict[str, dict]:
    """``{language: {"tokens", "nll", "perplexity"}}`` for a causal LM and its tokenizer."""
    from starcoder_model.checkpoints import model_positions

    size = config.window or model_positions(model.config)
    end_of_text = _end_of_text(model, tokenizer)
    results = {}
    for language, texts in sorted(documents.items()):
        chunks: list[list[int]] = []
        budget = config.max_tokens_per_language
        for text in texts:
            ids = tokenizer(text + end_of_text, verbose=False)["input_ids"][:budget]
            budget -= len(ids)
            chunks.extend(windows(ids, size))
            if budget <= 0:
                break
        nll, count = _total_nll(model, chunks, config.batch_size, tokenizer.pad_token_id or 0)
        results[language] = {
            "documents": len(texts),
            "tokens": count,
            "nll": nll / max(count, 1),
            "perplexity": math.exp(nll / count) if count else float("nan"),
        }
    return results


def _total_nll(model, chunks: list[list[int]], batch_size: int, pad_id: int) -> tuple[float, int]:
    import torch

    total, count = 0.0, 0
    for start in range(0, len(chunks), batch_size):
        batch = chunks[start : start + batch_size]
        length = max(len(c) for c in batch)
        ids = torch.full((len(batch), length), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), length), dtype=torch.long)
        for row, chunk in enumerate(batch):
            ids[row, : len(chunk)] = torch.tensor(chunk)
            mask[row, : len(chunk)] = 1
        with torch.no_grad():
            logits = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device))
        logits = logits.logits[:, :-1].float()
        targets = ids[:, 1:].to(logits.device)
        keep = mask[:, 1:].bool().to(logits.device)
        losses = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
        ).reshape(targets.shape)
        total += float(losses[keep].sum())
        count += int(keep.sum())
    return total, count


def _end_of_text(model, tokenizer) -> str:
    """The end-of-document token of the model's family (``<|endoftext|>`` for StarCoder)."""
    model_type = getattr(model.config, "model_type", "gpt_bigcode")
    family = family_for(model_type, tokenizer.get_vocab())
    return family.end_of_text or tokenizer.eos_token or ENDOFTEXT


def checkpoint_perplexity(
    checkpoint: str | Path, data_dir: str | Path, config: PerplexityConfig
) -> dict[str, dict]:
    """:func:`perplexity_by_language` of a local checkpoint on held-out curated Parquet."""
    from starcoder_model.checkpoints import load_model, resolve_checkpoint
    from transformers import AutoTokenizer

    directory = resolve_checkpoint(checkpoint)  # a folder, or a hub id in the local cache
    model = load_model(directory)
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    return perplexity_by_language(model, tokenizer, read_documents(data_dir, config), config)
