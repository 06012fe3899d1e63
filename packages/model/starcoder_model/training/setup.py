"""Open a run's data, tokenizer and model; and check all of it before any worker starts.

``check_run`` is what the jobs call on the driver: every mistake a user can
make in a run's inputs (missing or empty shards, a tokenizer that is not the
one the shards were made with, a checkpoint that is not a causal LM, a
sequence longer than the model's positions, FIM asked of a family without
FIM tokens, a batch the workers cannot divide) fails there with a message, not minutes later
inside a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from starcoder_data.tokens import tokenizer_sha256

from starcoder_model.training.config import TrainConfig
from starcoder_model.training.data import (
    TrainingSequences,
    language_probabilities,
    language_weights_table,
)
from starcoder_model.training.sampling import SequenceSampler

TRAIN_SPLIT, VAL_SPLIT = "train", "val"


@dataclass(frozen=True)
class RunPlan:
    """What the preflight found: shown to the user before training starts."""

    train_sequences: int
    val_sequences: int
    vocab_size: int
    accumulation: int
    tokens_per_step: int
    total_tokens: int
    epochs: float
    model_source: str  # the preset name or the checkpoint directory
    unigram_entropy: float  # nats: the loss a model must beat to have learned from context


def open_run_data(config: TrainConfig):
    """The train split and the validation split (None when the shards have none), FIM on."""

    def open_split(split: str) -> TrainingSequences:
        return TrainingSequences.open(
            config.tokens_dir,
            split,
            tokenizer_dir(config),
            config.fim_rate,
            config.fim_spm_rate,
            config.seed,
        )

    train = open_split(TRAIN_SPLIT)
    val_split = train.shards.manifest["splits"].get(VAL_SPLIT, {})
    if not any(shard["n_sequences"] for shard in val_split.get("shards", [])):
        return train, None  # no validation split (val_fraction 0): train without val losses
    return train, open_split(VAL_SPLIT)


def build_sampler(config: TrainConfig, train: TrainingSequences) -> SequenceSampler:
    """The run's data order: weighted by source or by language as the config says."""
    weights = language_weights_table(config.language_weights)
    probabilities = None
    if weights is not None:
        shards = train.shards
        probabilities = language_probabilities(shards.row_languages, shards.language_names, weights)
    return SequenceSampler(
        train.sequences_by_source, config.seed, config.source_weights, probabilities
    )


def tokenizer_dir(config: TrainConfig) -> Path:
    """The run's tokenizer: the config's, else the ``init_from`` checkpoint's own."""
    if config.tokenizer_dir is not None:
        return Path(config.tokenizer_dir)
    if config.init_from is not None:
        from starcoder_model.checkpoints import resolve_checkpoint

        return resolve_checkpoint(config.init_from)
    raise ValueError("tokenizer_dir is required when training from scratch")


def run_tokenizer(config: TrainConfig):
    from starcoder_model.tokenizer import load_tokenizer

    return load_tokenizer(tokenizer_dir(config))


def build_or_load_model(config: TrainConfig, vocab_size: int):
    """A fresh model of the preset, or the ``init_from`` checkpoint, in training mode.

    ``init_from`` is any causal LM checkpoint folder (or a hub id in the local
    cache): GPTBigCode, StarCoder2, Llama, Qwen2, ... all train through the same
    loop, their loss being ``transformers``' shifted next-token cross-entropy.
    """
    if config.init_from is not None:
        import torch

        from starcoder_model.checkpoints import load_model

        # fp32 whatever the checkpoint holds: DeepSpeed casts to bf16/fp16 itself and
        # keeps fp32 master weights, so nothing of the checkpoint's precision is lost.
        return load_model(config.init_from, dtype=torch.float32).train()
    from starcoder_model.checkpoints import build_model
    from starcoder_model.presets import get_preset

    return build_model(get_preset(config.preset), vocab_size, seed=config.seed).train()


def check_run(config: TrainConfig) -> RunPlan:
    """Validate the whole run on the driver; raise ``ValueError``/``FileNotFoundError``."""
    train, val = open_run_data(config)
    if train.seq_len != config.seq_len:
        raise ValueError(
            f"the token shards in {config.tokens_dir} hold sequences of {train.seq_len} "
            f"tokens but the run is configured for seq_len={config.seq_len}"
        )
    accumulation = config.gradient_accumulation_steps(config.num_workers)
    build_sampler(config, train)  # refuses weights that match nothing in the shards
    model_config, model_source = _model_config(config, train.vocab_size)
    tokenizer = run_tokenizer(config)
    _check_shards_match_tokenizer(train.shards, tokenizer_dir(config))
    from starcoder_model.checkpoints import check_tokenizer, model_positions

    check_tokenizer(model_config, tokenizer)
    if train.vocab_size > model_config.vocab_size:
        raise ValueError(
            f"the token shards use {train.vocab_size} token ids but the model's "
            f"vocab_size is {model_config.vocab_size}"
        )
    positions = model_positions(model_config)
    if config.seq_len > positions:
        raise ValueError(f"seq_len={config.seq_len} exceeds the model's {positions} positions")
    _check_fim(config)
    total_tokens = config.global_batch_tokens * config.max_steps
    return RunPlan(
        train_sequences=len(train),
        val_sequences=len(val) if val is not None else 0,
        vocab_size=model_config.vocab_size,
        accumulation=accumulation,
        tokens_per_step=config.global_batch_tokens,
        total_tokens=total_tokens,
        epochs=total_tokens / (len(train) * train.seq_len),
        model_source=model_source,
        unigram_entropy=unigram_entropy(train.shards),
    )


def _check_fim(config: TrainConfig) -> None:
    """A family trained without FIM sentinels cannot be fine-tuned with FIM: say so now."""
    if not config.fim_rate:
        return
    from starcoder_data.tokens import special_ids_for

    if not special_ids_for(tokenizer_dir(config)).has_fim:
        raise ValueError(
            f"fim_rate={config.fim_rate} but the tokenizer in {tokenizer_dir(config)} has no "
            "FIM sentinel tokens of its model family (it was not trained for "
            "fill-in-the-middle): fine-tune it with fim_rate 0"
        )


def _model_config(config: TrainConfig, vocab_size: int):
    if config.init_from is not None:
        from transformers import AutoConfig

        from starcoder_model.checkpoints import read_model_config, resolve_checkpoint

        read_model_config(config.init_from)  # a causal LM, or a clear error
        directory = resolve_checkpoint(config.init_from)
        return AutoConfig.from_pretrained(str(directory), local_files_only=True), config.init_from
    from starcoder_model.presets import get_preset

    return get_preset(config.preset).to_config(vocab_size), config.preset


def _check_shards_match_tokenizer(shards, directory: Path) -> None:
    expected = shards.tokenizer_sha256
    actual = tokenizer_sha256(directory)
    if expected and expected != actual:
        raise ValueError(
            f"the token shards were made with another tokenizer than the one in {directory} "
            f"(tokenizer.json sha256 {actual[:12]}..., shards say {expected[:12]}...): "
            "re-run pack_tokens.py with this tokenizer"
        )


def unigram_entropy(shards, max_sequences: int = 20_000) -> float:
    """Entropy in nats of the token distribution: the loss of the best context-free model.

    A language model's loss must fall clearly below it to have learned from context.
    """
    n = min(len(shards), max_sequences)
    indices = np.linspace(0, len(shards), num=n, endpoint=False).astype(np.int64)
    counts = np.zeros(shards.vocab_size, dtype=np.int64)
    for start in range(0, n, 1024):
        counts += np.bincount(
            shards.batch(indices[start : start + 1024]).ravel(), minlength=shards.vocab_size
        )[: shards.vocab_size]
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())
