"""Training windows for the NER model from labelled files."""

from __future__ import annotations

import numpy as np

from ..spans import PiiSpan
from .windows import IGNORE, WindowConfig, plan_windows, token_labels


def encode_file(tokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids and character offsets of ``text`` (no special tokens)."""
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return encoding["input_ids"], [tuple(o) for o in encoding["offset_mapping"]]


def training_windows(
    tokenizer, text: str, spans: list[PiiSpan], config: WindowConfig
) -> list[dict[str, np.ndarray]]:
    """``[CLS] window [SEP]`` examples with BIO labels, padded to ``config.window``."""
    ids, offsets = encode_file(tokenizer, text)
    labels = token_labels(offsets, text, spans)
    examples = []
    for window in plan_windows(len(ids), config):
        body = np.asarray(ids[window.start : window.end], np.int64)
        tags = labels[window.start : window.end]
        examples.append(_example(body, tags, tokenizer, config.window))
    return examples


def _example(body: np.ndarray, tags: np.ndarray, tokenizer, length: int) -> dict[str, np.ndarray]:
    n = len(body) + 2
    fill = length - n
    ids = np.concatenate([[tokenizer.cls_token_id], body, [tokenizer.sep_token_id]])
    labels = np.concatenate([[IGNORE], tags, [IGNORE]])
    return {
        "input_ids": np.pad(ids, (0, fill), constant_values=tokenizer.pad_token_id),
        "attention_mask": np.pad(np.ones(n, np.int64), (0, fill)),
        "labels": np.pad(labels, (0, fill), constant_values=IGNORE),
    }


def stack(examples: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.stack([e[key] for e in examples]) for key in examples[0]}
