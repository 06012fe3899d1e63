"""Token shards on disk: ``.npy`` files of ``(n_sequences, seq_len)`` and their manifest.

Layout under the output folder::

    manifest.json
    train/<source>-00000.npy ...            (n_sequences, seq_len) token ids
    train/<source>-00000.languages.npy ...  (n_sequences,) each row's language code
    val/<source>-00000.npy ...
    held_out/language=<lang>/*.parquet      the validation files as curated Parquet

Shards are plain NumPy arrays (``uint16`` while the vocabulary fits, else
``uint32``), grouped by source kind so training can weight sources; the
manifest lists them in source order, which gives every source one contiguous
range of global sequence indices. A row's language is the one most of its
tokens come from (the manifest's ``languages`` list names the codes).
:class:`TokenShards` is what training opens: it checks the manifest against
the files and memory-maps them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .config import FORMAT_VERSION

MANIFEST = "manifest.json"


class TokenShardsError(ValueError):
    """Token shards that cannot be used as they are (missing, truncated, inconsistent)."""


def token_dtype(vocab_size: int) -> np.dtype:
    """The narrowest dtype that holds every id: uint16 up to 65535 tokens."""
    return np.dtype(np.uint16 if vocab_size <= 65535 else np.uint32)


class ShardWriter:
    """Writes one split's blocks of one source as numbered ``.npy`` files."""

    def __init__(self, root: str | Path, split: str, source: str):
        self.root = Path(root)
        self.split = split
        self.source = source
        self.shards: list[dict] = []

    def write(self, block: np.ndarray, languages: np.ndarray | None = None) -> None:
        """Write one block of rows, with each row's language code (all 0 when not given)."""
        stem = f"{self.split}/{self.source}-{len(self.shards):05d}"
        (self.root / self.split).mkdir(parents=True, exist_ok=True)
        if languages is None:
            languages = np.zeros(len(block), np.uint16)
        if len(languages) != len(block):
            raise ValueError(f"{len(languages)} row languages for {len(block)} rows")
        np.save(self.root / f"{stem}.npy", block)
        np.save(self.root / f"{stem}.languages.npy", np.asarray(languages, np.uint16))
        self.shards.append(
            {
                "file": f"{stem}.npy",
                "languages_file": f"{stem}.languages.npy",
                "source": self.source,
                "n_sequences": len(block),
            }
        )


def write_manifest(root: str | Path, manifest: dict) -> Path:
    """Write ``manifest.json`` last and atomically: its presence marks complete output."""
    path = Path(root) / MANIFEST
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def read_manifest(root: str | Path) -> dict:
    root = Path(root)
    if not root.is_dir():
        raise TokenShardsError(f"no token shards at {root}: the folder does not exist")
    path = root / MANIFEST
    if not path.is_file():
        raise TokenShardsError(f"{root} has no {MANIFEST}: not a finished packing output")
    manifest = json.loads(path.read_text())
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise TokenShardsError(f"{path}: format version {version}, expected {FORMAT_VERSION}")
    return manifest


class TokenShards:
    """One split's sequences, memory-mapped, under one global index.

    Training samples indices itself and asks for :meth:`batch`; nothing is
    read until then.
    """

    def __init__(
        self,
        manifest: dict,
        split: str,
        arrays: list[np.ndarray],
        sources: list[str],
        row_languages: np.ndarray | None = None,
    ):
        self.manifest = manifest
        self.split = split
        self.seq_len: int = manifest["seq_len"]
        self.vocab_size: int = manifest["vocab_size"]
        self.tokenizer_sha256: str = manifest["tokenizer_sha256"]
        self.eod_id: int = manifest["eod_id"]
        self._arrays = arrays
        self._starts = np.cumsum([0] + [len(a) for a in arrays])
        # open() sorts shards by source, so each source is one contiguous index range
        self.source_ranges: dict[str, range] = {}
        for source in dict.fromkeys(sources):
            own = [i for i, s in enumerate(sources) if s == source]
            start, stop = self._starts[own[0]], self._starts[own[-1] + 1]
            self.source_ranges[source] = range(int(start), int(stop))
        self.sequences_by_source = {s: len(r) for s, r in self.source_ranges.items()}
        self.language_names: list[str] = list(manifest.get("languages", []))
        self.row_languages = (
            row_languages if row_languages is not None else np.zeros(len(self), np.uint16)
        )

    @classmethod
    def open(cls, directory: str | Path, split: str = "train") -> TokenShards:
        """Validate ``directory``'s manifest and shards for ``split`` and map them."""
        root = Path(directory)
        manifest = read_manifest(root)
        splits = manifest.get("splits", {})
        if split not in splits:
            raise TokenShardsError(f"{root}: no split {split!r} (has {sorted(splits)})")
        entries = sorted(splits[split]["shards"], key=lambda e: e["source"])  # stable: keeps order
        if not entries or sum(e["n_sequences"] for e in entries) == 0:
            raise TokenShardsError(f"{root}: split {split!r} has zero sequences")
        dtype = np.dtype(manifest["dtype"])
        arrays = [_open_shard(root, e, manifest["seq_len"], dtype) for e in entries]
        languages = np.concatenate([_open_languages(root, e) for e in entries])
        return cls(manifest, split, arrays, [e["source"] for e in entries], languages)

    def __len__(self) -> int:
        return int(self._starts[-1])

    def sequence(self, index: int) -> np.ndarray:
        """Sequence ``index`` (global over the split) as int64, shape ``(seq_len,)``."""
        return self.batch([index])[0]

    def batch(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """The sequences at ``indices`` as one int64 array, shape ``(len(indices), seq_len)``."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"sequence indices must lie in [0, {len(self)})")
        out = np.empty((idx.size, self.seq_len), dtype=np.int64)
        shard_of = np.searchsorted(self._starts, idx, side="right") - 1
        for shard in np.unique(shard_of):
            rows = shard_of == shard
            out[rows] = self._arrays[shard][idx[rows] - self._starts[shard]]
        return out


def _open_languages(root: Path, entry: dict) -> np.ndarray:
    path = root / entry.get("languages_file", "")
    if "languages_file" not in entry or not path.is_file():
        raise TokenShardsError(f"the row languages of shard {root / entry['file']} are missing")
    languages = np.load(path)
    if languages.shape != (entry["n_sequences"],):
        raise TokenShardsError(
            f"{path} holds {languages.shape[0]} rows, not {entry['n_sequences']}"
        )
    return languages.astype(np.uint16)


def _open_shard(root: Path, entry: dict, seq_len: int, dtype: np.dtype) -> np.ndarray:
    path = root / entry["file"]
    if not path.is_file():
        raise TokenShardsError(f"shard {path} listed in the manifest is missing")
    if path.stat().st_size == 0:
        raise TokenShardsError(f"shard {path} is empty")
    try:
        array = np.load(path, mmap_mode="r")
    except ValueError as error:
        raise TokenShardsError(f"shard {path} is not a readable .npy file: {error}") from None
    expected = (entry["n_sequences"], seq_len)
    if array.shape != expected or array.dtype != dtype:
        raise TokenShardsError(
            f"shard {path} holds {array.dtype}{list(array.shape)}, "
            f"the manifest says {dtype}{list(expected)}"
        )
    return array
