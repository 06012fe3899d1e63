"""Token shards packed with a family checkpoint's own tokenizer, for training tests.

Real code (a few standard-library modules) is encoded by the packing step's
:class:`~starcoder_data.tokens.DocumentEncoder` with the checkpoint's special
ids (its family's end-of-text; no metadata, which the families other than
StarCoder were not trained with) and written in the shard format
``pack_tokens.py`` writes.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SOURCES = ("textwrap.py", "shlex.py", "fnmatch.py", "bisect.py", "colorsys.py")


def family_documents() -> list[str]:
    return [(STDLIB / name).read_text(encoding="utf-8") for name in SOURCES]


def build_family_shards(checkpoint: Path, root: Path, seq_len: int = 64) -> Path:
    """Pack :func:`family_documents` with ``checkpoint``'s tokenizer under ``root``; the folder."""
    import pyarrow as pa
    from starcoder_data.tokens import (
        PackConfig,
        ShardWriter,
        build_manifest,
        load_tokenizer_json,
        special_ids_for,
        token_dtype,
        tokenizer_sha256,
        write_manifest,
    )
    from starcoder_data.tokens.documents import DocumentEncoder

    tokenizer = load_tokenizer_json(checkpoint)
    special = special_ids_for(checkpoint)
    config = PackConfig(seq_len=seq_len, metadata_rate=0.0, shard_tokens=seq_len * 1024)
    texts = family_documents()
    batch = pa.table(
        {
            "repo": ["stdlib"] * len(texts),
            "path": list(SOURCES),
            "source": ["local:stdlib"] * len(texts),
            "stars": [None] * len(texts),
            "content_hash": [None] * len(texts),
            "content": texts,
            "language": ["python"] * len(texts),
        }
    )
    encoded = DocumentEncoder(tokenizer.to_str(), config, special)(batch)
    streams = {"val": [], "train": []}
    for i, blob in enumerate(encoded["tokens"].to_pylist()):
        streams["val" if i == 0 else "train"].extend(np.frombuffer(blob, "<u4").tolist())
    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    splits = {}
    for split, stream in streams.items():
        n = len(stream) // seq_len
        block = np.asarray(stream[: n * seq_len], dtype=token_dtype(vocab_size))
        writer = ShardWriter(root, split, "local")
        writer.write(block.reshape(n, seq_len))
        splits[split] = {"shards": writer.shards, "sequences": n}
    manifest = build_manifest(
        config,
        splits,
        vocab_size=vocab_size,
        tokenizer_sha256=tokenizer_sha256(checkpoint),
        special=special,
        dtype=token_dtype(vocab_size),
    )
    write_manifest(root, manifest)
    return root
