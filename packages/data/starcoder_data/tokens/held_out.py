"""The held-out split as curated Parquet, and the check that keeps training files out of it.

Packing decides which files are held out (:func:`~.documents.is_validation`,
a hash of repo and path). Those files are written again as they came, in the
curated data's schema, under ``<tokens>/held_out/language=<lang>/`` so that
perplexity can be measured on files the model never trained on. Next to them,
``_train_files.npz`` records the identities of every file packed for
training, by name (a hash of repo and path) and by content (sha256 prefix);
Parquet readers skip names starting with ``_``. :func:`open_held_out` accepts
only such a folder and refuses one that shares a file with the training data,
by either identity.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..schema import CONTENT, CONTENT_HASH, PATH, REPO
from .documents import content_id, is_validation, name_id

HELD_OUT_DIR = "held_out"
TRAIN_FILES = "_train_files.npz"


class HeldOutError(ValueError):
    """A folder that is not a held-out split, or one that holds training files."""


def held_out_rows(batch: pa.Table, fraction: float) -> pa.Table:
    """``map_batches`` stage: the rows of ``batch`` that packing holds out, all columns kept."""
    keep = [
        is_validation(repo, path, fraction)
        for repo, path in zip(batch[REPO].to_pylist(), batch[PATH].to_pylist(), strict=True)
    ]
    return batch.filter(pa.array(keep, pa.bool_()))


def write_train_files(folder: str | Path, names: np.ndarray, contents: np.ndarray) -> Path:
    """Record the training files' identities in ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TRAIN_FILES
    with open(path, "wb") as handle:  # a handle: np.savez would append .npz to a name
        np.savez(
            handle, names=np.asarray(names, np.uint64), contents=np.asarray(contents, np.uint64)
        )
    return path


@dataclass(frozen=True)
class HeldOut:
    """A checked held-out folder: where its Parquet lies and how many files it holds."""

    folder: Path
    files: int


def open_held_out(directory: str | Path) -> HeldOut:
    """The held-out Parquet of a token folder (or the held-out folder itself), checked.

    Raises :class:`HeldOutError` when ``directory`` is not what packing wrote
    (the curated data or any other folder: perplexity there would be measured
    on training files) or when one of its files is a training file.
    """
    directory = Path(directory)
    folder = directory / HELD_OUT_DIR if (directory / HELD_OUT_DIR).is_dir() else directory
    record = folder / TRAIN_FILES
    if not record.is_file():
        raise HeldOutError(
            f"{directory} is not a held-out split written by pack_tokens.py (no {TRAIN_FILES} "
            f"in it or in {HELD_OUT_DIR}/): perplexity reads only files held out of training; "
            f"pass the token folder or its {HELD_OUT_DIR}/ folder"
        )
    with np.load(record) as saved:
        names, contents = saved["names"], saved["contents"]
    table = _read_identity_columns(folder)
    overlap = _overlap(table, names, contents)
    if overlap:
        shown = ", ".join(overlap[:3])
        raise HeldOutError(
            f"{folder} holds {len(overlap)} training file(s) (e.g. {shown}): refusing to measure "
            "held-out perplexity on data the model was trained on"
        )
    return HeldOut(folder, table.num_rows)


def _read_identity_columns(folder: Path) -> pa.Table:
    import pyarrow.dataset as pads

    if not any(folder.rglob("*.parquet")):
        return pa.table({REPO: [], PATH: [], CONTENT_HASH: []}, schema=_IDENTITY)
    dataset = pads.dataset(str(folder), format="parquet", partitioning="hive")
    missing = {REPO, PATH} - set(dataset.schema.names)
    if missing:
        raise HeldOutError(f"{folder}: no {sorted(missing)} columns: not curated Parquet")
    wanted = [REPO, PATH, CONTENT_HASH, CONTENT]
    return dataset.to_table(columns=[c for c in wanted if c in dataset.schema.names])


_IDENTITY = pa.schema([(REPO, pa.string()), (PATH, pa.string()), (CONTENT_HASH, pa.string())])


def _overlap(table: pa.Table, names: np.ndarray, contents: np.ndarray) -> list[str]:
    if table.num_rows == 0:
        return []
    repos, paths = table[REPO].to_pylist(), table[PATH].to_pylist()
    ids = np.array([name_id(r, p) for r, p in zip(repos, paths, strict=True)], np.uint64)
    hashes = (
        table[CONTENT_HASH].to_pylist()
        if CONTENT_HASH in table.column_names
        else [None] * table.num_rows
    )
    if CONTENT in table.column_names:
        texts = table[CONTENT].to_pylist()
        hashes = [h or _sha256(t or "") for h, t in zip(hashes, texts, strict=True)]
    by_content = np.array([content_id(h) for h in hashes], np.uint64)
    hit = np.isin(ids, names) | np.isin(by_content, contents)
    return [f"{repos[i]}/{paths[i]}" for i in np.flatnonzero(hit)]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
