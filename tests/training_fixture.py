"""A tokenizer and token shards built from real code, small enough for a training test.

Standard-library modules are tokenised with a freshly trained 512-token BPE
and written in the packing step's shard format (``ShardWriter`` + manifest),
so training tests read exactly what ``pack_tokens.py`` writes.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
from starcoder_data.tokens import (
    PackConfig,
    ShardWriter,
    SpecialIds,
    build_manifest,
    token_dtype,
    tokenizer_sha256,
    write_manifest,
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])
MODULES = [
    "textwrap.py",
    "shlex.py",
    "fnmatch.py",
    "glob.py",
    "bisect.py",
    "colorsys.py",
    "keyword.py",
    "heapq.py",
    "string.py",
    "numbers.py",
    "pprint.py",
    "calendar.py",
]
VOCAB_SIZE = 512
# pretrain.py arguments for the micro model on these shards (64-token sequences)
MICRO_ARGS = [
    arg
    for pair in ("preset=micro", "seq_len=64", "global_batch_tokens=1024", "micro_batch_size=4")
    for arg in ("--set", pair)
]


def build_training_inputs(root: Path, seq_len: int = 64) -> tuple[Path, Path]:
    """Write ``root/tokenizer`` and ``root/tokens``; return both directories."""
    from starcoder_model.tokenizer import TokenizerConfig, save_tokenizer, train_tokenizer

    texts = [(STDLIB / name).read_text() for name in MODULES]
    tokenizer = train_tokenizer(texts, TokenizerConfig(vocab_size=VOCAB_SIZE, min_frequency=2))
    tokenizer_dir = save_tokenizer(tokenizer, root / "tokenizer")
    special = SpecialIds.from_tokenizer(tokenizer.backend_tokenizer)
    streams = {"train": [], "val": []}
    for i, text in enumerate(texts):
        ids = tokenizer.backend_tokenizer.encode(text, add_special_tokens=False).ids
        streams["val" if i == 0 else "train"].extend(ids + [special.eod])
    tokens_dir = root / "tokens"
    splits = {}
    for split, stream in streams.items():
        n = len(stream) // seq_len
        block = np.asarray(stream[: n * seq_len], dtype=token_dtype(VOCAB_SIZE))
        writer = ShardWriter(tokens_dir, split, "local")
        writer.write(block.reshape(n, seq_len))
        splits[split] = {"shards": writer.shards, "sequences": n}
    sha = tokenizer_sha256(tokenizer_dir)
    manifest = build_manifest(
        PackConfig(seq_len=seq_len, shard_tokens=seq_len * 1024),
        splits,
        vocab_size=VOCAB_SIZE,
        tokenizer_sha256=sha,
        special=special,
        dtype=token_dtype(VOCAB_SIZE),
    )
    write_manifest(tokens_dir, manifest)
    return tokenizer_dir, tokens_dir


def train(job, argv: list[str]):
    """A training job (pretrain or finetune) run on its command line; the summary."""
    return job.run(job.parse_args(argv))
