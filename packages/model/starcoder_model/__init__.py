"""Tokenizer training, GPTBigCode presets and the training loop's pieces.

The tokenizer (:mod:`.tokenizer`) is StarCoder's byte-level BPE with its 19
special tokens; the model (:mod:`.presets`, :mod:`.checkpoints`) is
``transformers``' GPTBigCode with multi-query attention; the training loop
(:mod:`.training`) runs DeepSpeed inside Ray Train's workers.
"""

from .checkpoints import (
    CheckpointNotFoundError,
    attention_implementation,
    build_model,
    check_tokenizer,
    load_model,
    model_positions,
    read_model_config,
    resolve_checkpoint,
    save_model,
)
from .presets import PRESETS, ModelPreset, get_preset
from .sizing import flops_per_token, kv_cache_bytes_per_token, parameter_count
from .tokenizer import (
    TokenizerConfig,
    TokenizerNotFoundError,
    load_tokenizer,
    save_tokenizer,
    tokens_per_byte,
    train_tokenizer,
)
from .tokenizer_sample import sample_documents

__all__ = [
    "CheckpointNotFoundError",
    "PRESETS",
    "ModelPreset",
    "TokenizerConfig",
    "TokenizerNotFoundError",
    "attention_implementation",
    "build_model",
    "check_tokenizer",
    "flops_per_token",
    "get_preset",
    "kv_cache_bytes_per_token",
    "load_model",
    "load_tokenizer",
    "model_positions",
    "parameter_count",
    "read_model_config",
    "resolve_checkpoint",
    "sample_documents",
    "save_model",
    "save_tokenizer",
    "tokens_per_byte",
    "train_tokenizer",
]
