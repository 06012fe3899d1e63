"""The documents a tokenizer is trained on, and the held-out ones it is judged on.

A BPE learns the merges of whatever it reads, so the sample decides which
languages compress well. Each language gets a share of the byte budget in
proportion to its bytes, with a floor (``min_language_fraction`` of the
budget) so that small languages are seen at all; Python alone would otherwise
take almost everything from a corpus like the curated default.

Which documents fill a language's share is decided by a seeded hash of their
content, so the sample is deterministic, independent of file order, and
identical contents count once. The held-out sample takes documents from the
other end of the same order, never one the training sample took.

The curated Parquet is read twice: once for sizes and hashes (one record batch
at a time), once for the content of the chosen rows only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from starcoder_data.schema import CONTENT, CONTENT_HASH, LANGUAGE


class _Document(NamedTuple):
    key: bytes  # the seeded hash that orders documents
    size: int  # UTF-8 bytes of the content
    fragment: int  # index of its Parquet file
    row: int  # row inside that file


@dataclass(frozen=True)
class DocumentSample:
    """Texts by language: ``train`` for the trainer, ``eval`` held out (no shared document)."""

    train: dict[str, list[str]] = field(default_factory=dict)
    eval: dict[str, list[str]] = field(default_factory=dict)
    available_bytes: dict[str, int] = field(default_factory=dict)  # all distinct documents

    def train_texts(self) -> list[str]:
        return [text for language in sorted(self.train) for text in self.train[language]]

    @property
    def train_bytes(self) -> dict[str, int]:
        return _bytes_by_language(self.train)

    @property
    def eval_bytes(self) -> dict[str, int]:
        return _bytes_by_language(self.eval)


def _bytes_by_language(texts: dict[str, list[str]]) -> dict[str, int]:
    return {lang: sum(len(t.encode("utf-8")) for t in group) for lang, group in texts.items()}


def allocate_bytes(available: dict[str, int], budget: int, min_fraction: float) -> dict[str, int]:
    """Split ``budget`` over languages in proportion to their bytes, each at least a floor.

    The floor is ``min_fraction * budget`` (or all a language has, if less);
    what the floors leave is shared in proportion to the bytes above them.
    The shares never exceed ``budget`` nor what a language has.
    """
    if sum(available.values()) <= budget:
        return dict(available)
    if budget <= 0:
        return dict.fromkeys(available, 0)
    floors = {lang: min(size, int(min_fraction * budget)) for lang, size in available.items()}
    left = budget - sum(floors.values())
    if left <= 0:  # more languages than floors fit: shrink the floors alike
        total = sum(floors.values())
        return {lang: floor * budget // total for lang, floor in floors.items()}
    above = {lang: available[lang] - floors[lang] for lang in available}
    total_above = sum(above.values())
    return {lang: floors[lang] + left * above[lang] // total_above for lang in available}


def sample_documents(
    data_dir: str | Path,
    *,
    sample_bytes: int,
    eval_bytes: int = 0,
    seed: int = 0,
    min_language_fraction: float = 0.01,
) -> DocumentSample:
    """A seeded sample of at most ``sample_bytes`` (and a held-out one of ``eval_bytes``).

    ``data_dir`` is hive-partitioned Parquet (``language=<lang>/*.parquet``)
    with a ``content`` column, as the curation job writes it. A document that
    does not fit its language's remaining share is skipped, so the caps hold.
    """
    dataset = pads.dataset(str(data_dir), format="parquet", partitioning="hive")
    fragments = sorted(dataset.get_fragments(), key=lambda fragment: fragment.path)
    by_language = _scan(fragments, seed)
    available = {lang: sum(doc.size for doc in docs) for lang, docs in by_language.items()}
    train_shares = allocate_bytes(available, sample_bytes, min_language_fraction)
    eval_shares = allocate_bytes(available, eval_bytes, min_language_fraction)
    eval_ratio = eval_bytes / (sample_bytes + eval_bytes)
    train, held_out = {}, {}
    for language, docs in by_language.items():
        train[language], held_out[language] = _split(
            docs, train_shares[language], eval_shares[language], eval_ratio
        )
    return DocumentSample(
        train=_read(fragments, train), eval=_read(fragments, held_out), available_bytes=available
    )


def _scan(fragments: list[pads.Fragment], seed: int) -> dict[str, list[_Document]]:
    """Every non-empty document's key and size, by language, in key order."""
    by_language: dict[str, list[_Document]] = {}
    seen: set[bytes] = set()
    salt = seed.to_bytes(8, "little", signed=True)
    for index, fragment in enumerate(fragments):
        language = pads.get_partition_keys(fragment.partition_expression).get(LANGUAGE)
        if language is None:
            raise ValueError(f"{fragment.path} is not under a {LANGUAGE}=<name>/ folder")
        row = 0
        for batch in fragment.to_batches(columns=_hash_columns(fragment)):
            sizes = pc.binary_length(batch.column(CONTENT)).to_pylist()
            for digest, size in zip(_digests(batch), sizes, strict=True):
                key = hashlib.blake2b(salt + digest, digest_size=16).digest()
                if size and key not in seen:
                    seen.add(key)
                    by_language.setdefault(language, []).append(_Document(key, size, index, row))
                row += 1
    return {lang: sorted(docs) for lang, docs in sorted(by_language.items())}


def _hash_columns(fragment: pads.Fragment) -> list[str]:
    names = fragment.physical_schema.names
    return [CONTENT_HASH, CONTENT] if CONTENT_HASH in names else [CONTENT]


def _digests(batch: pa.RecordBatch) -> list[bytes]:
    """The content hash the curation job stored, else one computed here."""
    if CONTENT_HASH in batch.schema.names and batch.column(CONTENT_HASH).null_count == 0:
        return [(h or "").encode() for h in batch.column(CONTENT_HASH).to_pylist()]
    return [
        hashlib.sha256((text or "").encode()).digest() for text in batch.column(CONTENT).to_pylist()
    ]


def _split(
    docs: list[_Document], train_share: int, eval_share: int, eval_ratio: float
) -> tuple[list[_Document], list[_Document]]:
    """Held-out documents from the end of the key order, training ones from the start.

    Where a language cannot fill both shares, the held-out one shrinks to the
    ratio of the two budgets, and it always leaves one document to train on
    (a language's only document is trained on: seen by the trainer beats
    measured on). Documents too big for what is left of a share are skipped.
    """
    available = sum(doc.size for doc in docs)
    if train_share + eval_share > available:
        eval_share = min(eval_share, int(available * eval_ratio))
    held_out = _fill(reversed(docs), eval_share, limit=len(docs) - 1)
    chosen = {doc.key for doc in held_out}
    train = _fill((doc for doc in docs if doc.key not in chosen), train_share, limit=len(docs))
    return train, held_out


def _fill(docs: Iterable[_Document], share: int, *, limit: int) -> list[_Document]:
    taken, used = [], 0
    for doc in docs:
        if used >= share or len(taken) >= limit:
            break
        if used + doc.size <= share:
            taken.append(doc)
            used += doc.size
    return taken


def _read(fragments: list[pads.Fragment], chosen: dict[str, list[_Document]]) -> dict[str, list]:
    """The content of the chosen rows, one Parquet file at a time, in each language's key order."""
    by_fragment: dict[int, list[_Document]] = {}
    for docs in chosen.values():
        for doc in docs:
            by_fragment.setdefault(doc.fragment, []).append(doc)
    texts: dict[tuple[int, int], str] = {}
    for index, docs in sorted(by_fragment.items()):
        rows = sorted(doc.row for doc in docs)
        table = fragments[index].take(pa.array(rows, pa.int64()), columns=[CONTENT])
        contents = table.column(CONTENT).to_pylist()
        texts.update(zip(((index, row) for row in rows), contents, strict=True))
    return {
        lang: [texts[(doc.fragment, doc.row)] for doc in docs]
        for lang, docs in chosen.items()
        if docs
    }
