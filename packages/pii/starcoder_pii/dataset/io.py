"""The labelled PII set on disk: one Parquet file, one row per file, spans as a list of structs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .inject import LabelledFile

SCHEMA = pa.schema(
    [
        ("repo", pa.string()),
        ("path", pa.string()),
        ("language", pa.string()),
        ("split", pa.string()),
        ("text", pa.string()),
        (
            "spans",
            pa.list_(
                pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
            ),
        ),
    ]
)


def write_labelled(files: list[LabelledFile], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([f.as_row() for f in files], schema=SCHEMA), path)
    return path


def read_labelled(path: str | Path, split: str | None = None) -> list[LabelledFile]:
    rows = pq.read_table(path).to_pylist()
    return [LabelledFile.from_row(r) for r in rows if split is None or r["split"] == split]


def dataset_stats(files: list[LabelledFile]) -> dict:
    """Files, repos and labelled spans per split and class."""
    stats = {}
    for split in sorted({f.split for f in files}):
        chosen = [f for f in files if f.split == split]
        labels = Counter(s.label for f in chosen for s in f.spans)
        stats[split] = {
            "files": len(chosen),
            "repos": len({f.repo for f in chosen}),
            "spans": dict(sorted(labels.items())),
        }
    return stats
