"""The driver side of packing: encoded documents, in order, -> shards, manifest, summary.

:class:`TokenPacker` consumes :data:`~.documents.ENCODED_SCHEMA` batches in
packing order (the job sorts on ``order_key``), keeps one
:class:`~.packing.SequencePacker` per (split, source kind) and counts what it
packed. Tokens by source and by language are counted from the documents, so
for every split ``tokens == sequences * seq_len + dropped_tail_tokens``.
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
    FIM,
    N_BYTES,
    N_TOKENS,
    NO_FIM,
    ORDER_KEY,
    SPLIT,
    SPLITS,
    TOKEN_BYTES,
    TOKENS,
)
from .fim import PSM, SPM
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
        self.fim: Counter = Counter({PSM: 0, SPM: 0})
        self.dropped_tail_by_source: Counter = Counter()

    def count(self, batch: pa.Table) -> None:
        cols = batch.select([SOURCE, LANGUAGE, FIM, N_BYTES, N_TOKENS]).to_pydict()
        for source, language, fim, n_bytes, n_tokens in zip(*cols.values(), strict=True):
            if n_tokens == 0:
                self.empty_documents += 1
                continue
            self.documents += 1
            self.content_bytes += n_bytes
            self.tokens_by_source[source] += n_tokens
            self.tokens_by_language[language] += n_tokens
            if fim != NO_FIM:
                self.fim[fim] += 1


class TokenPacker:
    """Packs encoded documents into shards under ``root``, one stream per split and source."""

    def __init__(self, root: str | Path, config: PackConfig, dtype: np.dtype):
        self.root = Path(root)
        self.config = config
        self.dtype = np.dtype(dtype)
        self._streams: dict[tuple[str, str], tuple[SequencePacker, ShardWriter]] = {}
        self._counts = {split: _SplitCounts() for split in SPLITS}
        self._last_key = -1

    def add(self, batch: pa.Table) -> None:
        """Pack one batch of encoded documents, in its row order (refused if out of order)."""
        self._check_order(batch)
        for split in SPLITS:
            rows = batch.filter(pc.equal(batch[SPLIT], split))
            if rows.num_rows == 0:
                continue
            self._counts[split].count(rows)
            for source in pc.unique(rows[SOURCE]).to_pylist():
                tokens = _concat_tokens(rows.filter(pc.equal(rows[SOURCE], source))[TOKENS])
                self._stream(split, source)[0].add(tokens.astype(self.dtype))

    def _check_order(self, batch: pa.Table) -> None:
        keys = batch[ORDER_KEY].to_numpy()
        if not len(keys):
            return
        if keys[0] < self._last_key or (np.diff(keys) < 0).any():
            raise ValueError("encoded documents must arrive sorted on order_key")
        self._last_key = int(keys[-1])

    def _stream(self, split: str, source: str) -> tuple[SequencePacker, ShardWriter]:
        if (split, source) not in self._streams:
            writer = ShardWriter(self.root, split, source)
            rows = self.config.sequences_per_shard
            packer = SequencePacker(self.config.seq_len, rows, writer.write, self.dtype)
            self._streams[split, source] = (packer, writer)
        return self._streams[split, source]

    def finish(self) -> dict[str, dict]:
        """Flush every stream; return each split's part of the manifest."""
        shards: dict[str, list[dict]] = {split: [] for split in SPLITS}
        for (split, source), (packer, writer) in sorted(self._streams.items()):
            self._counts[split].dropped_tail_by_source[source] = packer.finish()
            shards[split].extend(writer.shards)
        return {split: _split_entry(self._counts[split], shards[split]) for split in SPLITS}


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
        "fim": dict(sorted(counts.fim.items())),
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
) -> dict:
    """Everything training needs to trust the shards, and nothing that changes between reruns."""
    return {
        "format_version": FORMAT_VERSION,
        "seq_len": config.seq_len,
        "dtype": np.dtype(dtype).name,
        "vocab_size": vocab_size,
        "tokenizer_sha256": tokenizer_sha256,
        "eod_id": special.eod,
        "special_ids": special.as_dict(),
        "config": config.as_dict(),
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
    row("fim psm", [splits[n]["fim"].get(PSM, 0) for n in names])
    row("fim spm", [splits[n]["fim"].get(SPM, 0) for n in names])
    for group in ("tokens_by_source", "tokens_by_language"):
        keys = sorted({k for n in names for k in splits[n][group]})
        keys.sort(key=lambda k: -sum(splits[n][group].get(k, 0) for n in names))
        lines.append(f"{group}:")
        for key in keys:
            row(f"  {key}", [splits[n][group].get(key, 0) for n in names])
    return "\n".join(lines)
