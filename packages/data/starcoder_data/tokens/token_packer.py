"""The driver side of packing: encoded documents, in order, -> shards, manifest, summary.

:class:`TokenPacker` consumes :data:`~.documents.ENCODED_SCHEMA` batches in
packing order (the job sorts on ``order_key``), keeps one
:class:`~.packing.SequencePacker` per (split, source kind) and counts what it
packed. Tokens by source and by language are counted from the documents, so
for every split ``tokens == sequences * seq_len + dropped_tail_tokens``.
Each row also gets a language, the one most of its tokens come from (what
per-language sampling weights in training read), and the packer keeps the
identities of the training files (by name and by content) so that a held-out
folder can be checked against them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import LANGUAGE, SOURCE
from .config import FORMAT_VERSION, PackConfig
from .documents import (
    CONTENT_ID,
    N_BYTES,
    N_TOKENS,
    NAME_ID,
    ORDER_KEY,
    SPLIT,
    SPLITS,
    TOKEN_BYTES,
    TOKENS,
    TRAIN,
)
from .packing import SequencePacker
from .shards import ShardWriter
from .tokenizer import SpecialIds


class _SplitCounts:
    def __init__(self):
        self.documents = 0
        self.empty_documents = 0
        self.content_bytes = 0
        self.tokens_by_source: Counter = Counter()
        self.tokens_by_language: Counter = Counter()
        self.dropped_tail_by_source: Counter = Counter()

    def count(self, batch: pa.Table) -> None:
        cols = batch.select([SOURCE, LANGUAGE, N_BYTES, N_TOKENS]).to_pydict()
        for source, language, n_bytes, n_tokens in zip(*cols.values(), strict=True):
            if n_tokens == 0:
                self.empty_documents += 1
                continue
            self.documents += 1
            self.content_bytes += n_bytes
            self.tokens_by_source[source] += n_tokens
            self.tokens_by_language[language] += n_tokens


class TokenPacker:
    """Packs encoded documents into shards under ``root``, one stream per split and source."""

    def __init__(self, root: str | Path, config: PackConfig, dtype: np.dtype):
        self.root = Path(root)
        self.config = config
        self.dtype = np.dtype(dtype)
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._counts = {split: _SplitCounts() for split in SPLITS}
        self._last_key = -1
        self.languages: dict[str, int] = {}  # language -> code, in order of first appearance
        self._train_ids: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, batch: pa.Table) -> None:
        """Pack one batch of encoded documents, in its row order (refused if out of order)."""
        self._check_order(batch)
        for split in SPLITS:
            rows = batch.filter(pc.equal(batch[SPLIT], split))
            if rows.num_rows == 0:
                continue
            self._counts[split].count(rows)
            if split == TRAIN:
                packed = rows.filter(pc.greater(rows[N_TOKENS], 0))
                ids = (packed[NAME_ID].to_numpy(), packed[CONTENT_ID].to_numpy())
                self._train_ids.append(ids)
            for source in pc.unique(rows[SOURCE]).to_pylist():
                mine = rows.filter(pc.equal(rows[SOURCE], source))
                codes = [self._code(x) for x in mine[LANGUAGE].to_pylist()]
                labels = np.repeat(np.asarray(codes, np.uint16), mine[N_TOKENS].to_numpy())
                tokens = _concat_tokens(mine[TOKENS])
                self._stream(split, source).add(tokens.astype(self.dtype), labels)

    def _check_order(self, batch: pa.Table) -> None:
        keys = batch[ORDER_KEY].to_numpy()
        if not len(keys):
            return
        if keys[0] < self._last_key or (np.diff(keys) < 0).any():
            raise ValueError("encoded documents must arrive sorted on order_key")
        self._last_key = int(keys[-1])

    def _code(self, language: str) -> int:
        return self.languages.setdefault(language, len(self.languages))

    def _stream(self, split: str, source: str) -> _Stream:
        if (split, source) not in self._streams:
            writer = ShardWriter(self.root, split, source)
            self._streams[split, source] = _Stream(self.config, writer, self.dtype)
        return self._streams[split, source]

    def finish(self) -> dict[str, dict]:
        """Flush every stream; return each split's part of the manifest."""
        shards: dict[str, list[dict]] = {split: [] for split in SPLITS}
        for (split, source), stream in sorted(self._streams.items()):
            self._counts[split].dropped_tail_by_source[source] = stream.finish()
            shards[split].extend(stream.writer.shards)
        return {split: _split_entry(self._counts[split], shards[split]) for split in SPLITS}

    def training_files(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted, unique name and content identities of the files packed for training."""
        names = [n for n, _ in self._train_ids]
        contents = [c for _, c in self._train_ids]
        empty = np.empty(0, np.uint64)
        return (
            np.unique(np.concatenate(names).astype(np.uint64)) if names else empty,
            np.unique(np.concatenate(contents).astype(np.uint64)) if contents else empty,
        )


class _Stream:
    """One (split, source) stream: its tokens, and each token's language code cut alike.

    Both packers see arrays of the same lengths, so they complete blocks at the
    same calls; the label block comes first and waits for its token block.
    """

    def __init__(self, config: PackConfig, writer: ShardWriter, dtype: np.dtype):
        rows = config.sequences_per_shard
        self.writer = writer
        self._labels: list[np.ndarray] = []
        self._tokens = SequencePacker(config.seq_len, rows, self._write, dtype)
        self._label_packer = SequencePacker(config.seq_len, rows, self._label, np.uint16)

    def add(self, tokens: np.ndarray, labels: np.ndarray) -> None:
        self._label_packer.add(labels)
        self._tokens.add(tokens)

    def finish(self) -> int:
        self._label_packer.finish()
        return self._tokens.finish()

    def _label(self, block: np.ndarray) -> None:
        self._labels.append(row_languages(block))

    def _write(self, block: np.ndarray) -> None:
        self.writer.write(block, self._labels.pop(0))


def row_languages(labels: np.ndarray) -> np.ndarray:
    """The most frequent code of each row of ``labels`` (ties: the lowest code)."""
    rows, width = labels.shape
    if rows == 0:
        return np.empty(0, np.uint16)
    n = int(labels.max()) + 1
    flat = (np.arange(rows, dtype=np.int64)[:, None] * n + labels).ravel()
    counts = np.bincount(flat, minlength=rows * n).reshape(rows, n)
    return counts.argmax(axis=1).astype(np.uint16)


def _concat_tokens(column: pa.ChunkedArray) -> np.ndarray:
    """All rows of a ``large_binary`` token column end to end, without a copy per row."""
    parts = []
    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        first, last = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        if last > first:
            data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[first:last]
            parts.append(data.view(TOKEN_BYTES))
    return np.concatenate(parts) if parts else np.empty(0, dtype=TOKEN_BYTES)


def _split_entry(counts: _SplitCounts, shards: list[dict]) -> dict:
    sequences_by_source: Counter = Counter()
    for shard in shards:
        sequences_by_source[shard["source"]] += shard["n_sequences"]
    return {
        "shards": shards,
        "sequences": sum(sequences_by_source.values()),
        "sequences_by_source": dict(sorted(sequences_by_source.items())),
        "documents": counts.documents,
        "empty_documents": counts.empty_documents,
        "content_bytes": counts.content_bytes,
        "tokens": sum(counts.tokens_by_source.values()),
        "tokens_by_source": dict(sorted(counts.tokens_by_source.items())),
        "tokens_by_language": dict(sorted(counts.tokens_by_language.items())),
        "dropped_tail_tokens": sum(counts.dropped_tail_by_source.values()),
        "dropped_tail_tokens_by_source": dict(sorted(counts.dropped_tail_by_source.items())),
    }


def build_manifest(
    config: PackConfig,
    splits: dict[str, dict],
    *,
    vocab_size: int,
    tokenizer_sha256: str,
    special: SpecialIds,
    dtype: np.dtype,
    languages: dict[str, int] | None = None,
) -> dict:
    """Everything training needs to trust the shards, and nothing that changes between reruns.

    ``languages`` maps each language name to the code its rows carry in the
    shards' ``.languages.npy`` files (:meth:`TokenPacker.languages`).
    """
    return {
        "format_version": FORMAT_VERSION,
        "seq_len": config.seq_len,
        "dtype": np.dtype(dtype).name,
        "vocab_size": vocab_size,
        "tokenizer_sha256": tokenizer_sha256,
        "eod_id": special.eod,
        "special_ids": special.as_dict(),
        "config": config.as_dict(),
        "languages": sorted(languages or {}, key=(languages or {}).get),
        "splits": splits,
    }


def format_summary(manifest: dict) -> str:
    """Plain-text table: documents, tokens, sequences per split; tokens by source, language."""
    splits = manifest["splits"]
    names = list(splits)
    lines = [f"{'':28}" + "".join(f"{name:>16}" for name in names)]

    def row(label: str, values) -> None:
        lines.append(f"{label:28}" + "".join(f"{v:>16,}" for v in values))

    for key in ("documents", "empty_documents", "content_bytes", "tokens", "sequences"):
        row(key, [splits[n][key] for n in names])
    row("dropped_tail_tokens", [splits[n]["dropped_tail_tokens"] for n in names])
    for group in ("tokens_by_source", "tokens_by_language"):
        keys = sorted({k for n in names for k in splits[n][group]})
        keys.sort(key=lambda k: -sum(splits[n][group].get(k, 0) for n in names))
        lines.append(f"{group}:")
        for key in keys:
            row(f"  {key}", [splits[n][group].get(key, 0) for n in names])
    return "\n".join(lines)
