"""Tokenize and pack curated code for pretraining, StarCoder's way (paper, section 5.1).

Each curated file gets, from its own seeded generator, repository metadata
(:mod:`.metadata`); it is tokenised and closed with ``<|endoftext|>``
(:mod:`.documents`). Documents are concatenated in a seeded order into
``seq_len`` sequences (:mod:`.packing`), per split and source kind, and
written as ``.npy`` shards with a manifest (:mod:`.shards`, :mod:`.pack`)
that :class:`TokenShards` opens for training; the held-out files are written
again as Parquet (:mod:`.held_out`). Fill-in-the-middle happens at training
time, per packed sample, as in Megatron (:class:`FimTransform`; the
character-level pieces are in :mod:`.fim`). ``ray_jobs/pack_tokens.py`` runs
the per-document part on Ray Data; nothing here imports Ray.
"""

from .config import PRESETS, PackConfig, full_preset, tiny_preset
from .documents import (
    ENCODED_SCHEMA,
    DocumentEncoder,
    content_id,
    document_rng,
    encode_document,
    encode_documents,
    is_validation,
    name_id,
    order_key,
    plan_document,
    source_kind,
)
from .fim import FimCut, draw_fim, join_fim, undo_fim
from .fim_transform import FimConfig, FimTransform, undo_fim_segment
from .held_out import HELD_OUT_DIR, HeldOut, HeldOutError, held_out_rows, open_held_out
from .metadata import add_metadata, stars_bucket
from .packing import SequencePacker, pack_sequences
from .shards import (
    ShardWriter,
    TokenShards,
    TokenShardsError,
    read_manifest,
    token_dtype,
    write_manifest,
)
from .token_packer import TokenPacker, build_manifest, format_summary
from .tokenizer import (
    SpecialIds,
    TokenizerError,
    load_tokenizer_json,
    special_ids_for,
    tokenizer_sha256,
)

__all__ = [
    "ENCODED_SCHEMA",
    "PRESETS",
    "DocumentEncoder",
    "FimConfig",
    "FimCut",
    "FimTransform",
    "HELD_OUT_DIR",
    "HeldOut",
    "HeldOutError",
    "PackConfig",
    "SequencePacker",
    "ShardWriter",
    "SpecialIds",
    "TokenPacker",
    "TokenShards",
    "TokenShardsError",
    "TokenizerError",
    "add_metadata",
    "build_manifest",
    "content_id",
    "document_rng",
    "draw_fim",
    "encode_document",
    "encode_documents",
    "format_summary",
    "full_preset",
    "held_out_rows",
    "is_validation",
    "join_fim",
    "load_tokenizer_json",
    "name_id",
    "open_held_out",
    "order_key",
    "pack_sequences",
    "plan_document",
    "read_manifest",
    "source_kind",
    "special_ids_for",
    "stars_bucket",
    "tiny_preset",
    "token_dtype",
    "tokenizer_sha256",
    "undo_fim",
    "undo_fim_segment",
    "write_manifest",
]
