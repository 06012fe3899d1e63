"""Masked-language-modelling + next-sentence-prediction examples from code files.

StarEncoder's objective (Li et al. 2023, section 4.2; BERT's recipe): an
example is ``[CLS] A [SEP] B [SEP]`` where B follows A in the same file half
of the time and comes from another file otherwise (the NSP label, 0 = is next,
1 = random), and 15% of the tokens are chosen for prediction, of which 80%
become ``[MASK]``, 10% a random token and 10% stay. Pure numpy on token-id
arrays, so it runs the same in a test and in a Ray Train worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IGNORE = -100  # the label torch's cross-entropy skips


@dataclass(frozen=True, kw_only=True)
class MlmConfig:
    seq_len: int = 512
    mask_rate: float = 0.15  # BERT / StarEncoder
    replace_with_mask: float = 0.8  # of the chosen tokens
    replace_with_random: float = 0.1
    nsp_random_rate: float = 0.5  # BERT / StarEncoder


@dataclass(frozen=True)
class SpecialIds:
    cls: int
    sep: int
    mask: int
    pad: int
    vocab_size: int
    first_regular: int = 19  # StarCoder's special tokens are ids 0..18; never a random pick

    @classmethod
    def from_tokenizer(cls, tokenizer) -> SpecialIds:
        return cls(
            tokenizer.cls_token_id,
            tokenizer.sep_token_id,
            tokenizer.mask_token_id,
            tokenizer.pad_token_id,
            len(tokenizer),
        )


def pair_example(
    documents: list[np.ndarray], rng: np.random.Generator, ids: SpecialIds, config: MlmConfig
) -> dict[str, np.ndarray]:
    """One ``[CLS] A [SEP] B [SEP]`` example, masked, padded to ``seq_len``."""
    half = (config.seq_len - 3) // 2
    doc_index = int(rng.integers(len(documents)))
    doc = documents[doc_index]
    start = int(rng.integers(max(1, len(doc) - half)))
    a = doc[start : start + half]
    rest = doc[start + half : start + 2 * half]
    is_random = len(documents) > 1 and (len(rest) == 0 or rng.random() < config.nsp_random_rate)
    if is_random:
        other = int(rng.integers(len(documents) - 1))
        other += other >= doc_index
        odoc = documents[other]
        ostart = int(rng.integers(max(1, len(odoc) - half)))
        rest = odoc[ostart : ostart + half]
    tokens = np.concatenate([[ids.cls], a, [ids.sep], rest, [ids.sep]]).astype(np.int64)
    types = np.concatenate([np.zeros(len(a) + 2), np.ones(len(rest) + 1)]).astype(np.int64)
    inputs, labels = mask_tokens(tokens, rng, ids, config)
    return _pad(inputs, labels, types, int(is_random), ids.pad, config.seq_len)


def mask_tokens(
    tokens: np.ndarray, rng: np.random.Generator, ids: SpecialIds, config: MlmConfig
) -> tuple[np.ndarray, np.ndarray]:
    """BERT's 80/10/10 masking of ``mask_rate`` of the non-special tokens."""
    special = np.isin(tokens, [ids.cls, ids.sep, ids.pad])
    chosen = (rng.random(len(tokens)) < config.mask_rate) & ~special
    labels = np.where(chosen, tokens, IGNORE)
    roll = rng.random(len(tokens))
    inputs = tokens.copy()
    to_mask = chosen & (roll < config.replace_with_mask)
    to_random = chosen & (roll >= config.replace_with_mask)
    to_random &= roll < config.replace_with_mask + config.replace_with_random
    inputs[to_mask] = ids.mask
    random_ids = rng.integers(ids.first_regular, ids.cls, size=len(tokens))
    inputs[to_random] = random_ids[to_random]
    return inputs, labels


def _pad(inputs, labels, types, nsp_label: int, pad: int, seq_len: int) -> dict[str, np.ndarray]:
    n = len(inputs)
    fill = seq_len - n
    return {
        "input_ids": np.pad(inputs, (0, fill), constant_values=pad),
        "token_type_ids": np.pad(types, (0, fill)),
        "attention_mask": np.pad(np.ones(n, np.int64), (0, fill)),
        "labels": np.pad(labels, (0, fill), constant_values=IGNORE),
        "next_sentence_label": np.asarray(nsp_label, np.int64),
    }


def pretraining_batch(
    documents: list[np.ndarray],
    rng: np.random.Generator,
    ids: SpecialIds,
    config: MlmConfig,
    batch_size: int,
) -> dict[str, np.ndarray]:
    """``batch_size`` examples stacked."""
    examples = [pair_example(documents, rng, ids, config) for _ in range(batch_size)]
    return {key: np.stack([e[key] for e in examples]) for key in examples[0]}
