"""Read a deterministic sample of the curated Parquet (``curate.py``'s output) for PII training."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

COLUMNS = ("repo", "path", "content", "language")


def read_curated_sample(
    data: str | Path,
    max_bytes: int,
    *,
    languages: tuple[str, ...] = (),
    max_file_bytes: int = 200_000,
    seed: int = 0,
    exclude_repos: frozenset[str] | None = None,
) -> list[dict]:
    """Files of the curated corpus in a seeded hash order, until ``max_bytes`` of content.

    Hash order mixes repos and languages without reading everything into a
    shuffle; files over ``max_file_bytes`` (data dumps, generated code) are skipped.
    Repos in ``exclude_repos`` are never read; by default those of the real-file
    evaluation set's packages, so no PII model trains on the people it is judged on.
    """
    import pyarrow.dataset as ds

    from .real_eval import excluded_repos

    exclude = excluded_repos() if exclude_repos is None else exclude_repos

    data = Path(data)
    if not any(data.rglob("*.parquet")):
        raise FileNotFoundError(f"no curated Parquet under {data}")
    dataset = ds.dataset(str(data), format="parquet", partitioning="hive")
    names = set(dataset.schema.names)
    table = dataset.to_table(
        columns=[c for c in ("repo", "path", "size") if c in names]
        + (["language"] if "language" in names else [])
    )
    rows = table.to_pylist()
    order = sorted(
        range(len(rows)),
        key=lambda i: hashlib.sha256(
            f"{seed}:{rows[i]['repo']}:{rows[i]['path']}".encode()
        ).digest(),
    )
    chosen, total = [], 0
    for i in order:
        row = rows[i]
        if languages and row.get("language") not in languages:
            continue
        if row["repo"] in exclude:
            continue
        size = row.get("size") or 0
        if size > max_file_bytes:
            continue
        chosen.append(i)
        total += size
        if total >= max_bytes:
            break
    content = dataset.to_table(columns=list(COLUMNS)).take(sorted(chosen)).to_pylist()
    key = {(r["repo"], r["path"]): j for j, r in enumerate(content)}
    return [content[key[(rows[i]["repo"], rows[i]["path"])]] for i in chosen]


def encode_documents(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """Token ids of ``texts`` as one flat array plus offsets (``ids[offsets[i]:offsets[i+1]]``)."""
    backend = tokenizer.backend_tokenizer
    encodings = backend.encode_batch(list(texts), add_special_tokens=False)
    lengths = [len(e.ids) for e in encodings]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = np.fromiter((t for e in encodings for t in e.ids), np.int32, count=int(offsets[-1]))
    return {"ids": ids, "offsets": offsets}
