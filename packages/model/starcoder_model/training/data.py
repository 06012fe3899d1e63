"""What training reads: the packed token shards, put into FIM form per sample.

As in bigcode Megatron-LM, fill-in-the-middle is applied by the data loader
to each packed sample (``starcoder_data.tokens.FimTransform``), so a FIM
example always lies inside one context window. The draws depend only on
``(seed, epoch, index)``, so a resumed run reads exactly the rows an
uninterrupted run reads. Validation rows get the same transform with epoch 0:
Megatron's validation samples go through the same dataset class, FIM included.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from starcoder_data.tokens import (
    FimConfig,
    FimTransform,
    TokenShards,
    load_tokenizer_json,
    special_ids_for,
)


class TrainingSequences:
    """Token shards as training reads them: ``batch(indices, epochs)`` in FIM form."""

    def __init__(self, shards: TokenShards, fim: FimTransform | None = None, fim_source=None):
        self.shards = shards
        self._fim = fim
        self._fim_source = fim_source  # (tokenizer_dir, FimConfig): built on first use
        self.seq_len = shards.seq_len
        self.vocab_size = shards.vocab_size
        self.sequences_by_source = shards.sequences_by_source

    @classmethod
    def open(cls, tokens_dir, split: str, tokenizer_dir, fim_rate, fim_spm_rate, seed):
        """The split of ``tokens_dir``, with FIM drawn at ``fim_rate`` (none when 0)."""
        shards = TokenShards.open(tokens_dir, split)
        if not fim_rate:
            return cls(shards)
        config = FimConfig(rate=fim_rate, spm_rate=fim_spm_rate, seed=seed)  # checked now
        return cls(shards, fim_source=(tokenizer_dir, config))

    @property
    def fim(self) -> FimTransform | None:
        """The FIM transform, its tokenizer loaded on first use (the driver's checks need none)."""
        if self._fim is None and self._fim_source is not None:
            tokenizer_dir, config = self._fim_source
            special = special_ids_for(tokenizer_dir)  # the checkpoint family's sentinels
            self._fim = FimTransform(load_tokenizer_json(tokenizer_dir), config, special)
        return self._fim

    def __len__(self) -> int:
        return len(self.shards)

    def batch(self, indices, epochs=None) -> np.ndarray:
        """Rows ``indices`` (int64, ``(n, seq_len)``), FIM drawn for each row's epoch (or 0)."""
        rows = self.shards.batch(indices)
        if self.fim is None:
            return rows
        epochs = np.zeros(len(rows), np.int64) if epochs is None else epochs
        return self.fim.apply(rows, epochs, np.asarray(indices).reshape(-1))


def language_weights_table(value: dict[str, float] | str | None) -> dict[str, float] | None:
    """A language weights table from the config: a dict, or the path of a JSON file of one."""
    if value is None or isinstance(value, dict):
        return value
    path = Path(value)
    if not path.is_file():
        raise ValueError(f"language_weights: {value!r} is neither a table nor a JSON file")
    table = json.loads(path.read_text())
    if not isinstance(table, dict) or not all(
        isinstance(w, int | float) and w >= 0 for w in table.values()
    ):
        raise ValueError(f"{path}: expected a JSON object of language -> weight >= 0")
    return {str(k): float(v) for k, v in table.items()}


def language_probabilities(
    row_languages: np.ndarray, names: list[str], weights: dict[str, float]
) -> np.ndarray:
    """Per-row draw probabilities giving each language a share of draws proportional to its weight.

    A row counts for the language most of its tokens come from (packing
    records it); languages the table does not name get no draws.
    """
    counts = np.bincount(row_languages, minlength=len(names)).astype(np.float64)
    names = list(names) + [f"#{code}" for code in range(len(names), counts.size)]
    share = np.array([weights.get(name, 0.0) for name in names], dtype=np.float64)
    present = counts > 0
    if not (share[present] > 0).any():
        raise ValueError(
            f"language_weights give no weight to any language of the token shards "
            f"(they have {sorted(n for n, c in zip(names, counts, strict=True) if c)})"
        )
    per_row = np.divide(share, counts, out=np.zeros_like(share), where=present)
    p = per_row[row_languages]
    return p / p.sum()
