"""The settings of the model jobs: ``ray_jobs/train_tokenizer.py``, pretrain.py, finetune.py.

Each is a frozen dataclass the job's command line is made from (see
:mod:`starcoder_jobs.config`) and the pipeline composes. Training runs are
named presets (:mod:`starcoder_model.training.presets`) whose
:class:`TrainConfig` fields ``overrides`` (``--set FIELD=VALUE``) change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starcoder_jobs.config import checked_overrides, option

from .tokenizer import MB, TokenizerConfig
from .training.config import OptimizerConfig, TrainConfig

_TOKENIZER = TokenizerConfig()
OVERRIDES_HELP = (
    "override a TrainConfig field, e.g. --set max_steps=500 --set lr=1e-3 --set zero_stage=3 "
    "(repeatable)"
)
LANGUAGE_WEIGHTS_HELP = (
    "JSON file of language -> sampling weight (each language's share of the draws); "
    "languages it does not name are not sampled"
)


@dataclass(frozen=True, kw_only=True)
class TokenizerJob:
    """``ray_jobs/train_tokenizer.py``: a byte-level BPE tokenizer trained on curated files."""

    data: str = option("outputs/curated/data", "curated Parquet folder")
    output: str = option("outputs/tokenizer", "output folder")
    vocab_size: int = option(_TOKENIZER.vocab_size)
    min_frequency: int = option(_TOKENIZER.min_frequency)
    sample_mb: float = option(_TOKENIZER.sample_bytes / MB, "training sample in MB (2^20 bytes)")
    eval_mb: float = option(_TOKENIZER.eval_bytes / MB, "held-out sample in MB, tokens per byte")
    min_language_fraction: float = option(
        _TOKENIZER.min_language_fraction, "each language's least share of a sample"
    )
    seed: int = option(_TOKENIZER.seed)
    model_max_length: int = option(_TOKENIZER.model_max_length)
    no_progress: bool = option(False, "no trainer progress bars")

    def tokenizer_config(self) -> TokenizerConfig:
        return TokenizerConfig(
            vocab_size=self.vocab_size,
            min_frequency=self.min_frequency,
            sample_bytes=int(self.sample_mb * MB),
            eval_bytes=int(self.eval_mb * MB),
            min_language_fraction=self.min_language_fraction,
            seed=self.seed,
            model_max_length=self.model_max_length,
        )


def training_overrides(job) -> dict[str, Any]:
    """A training job's ``overrides`` (and language weights file), checked against TrainConfig."""
    overrides = checked_overrides(
        job.overrides, TrainConfig, OptimizerConfig, exclude=("optimizer",)
    )
    if job.language_weights is not None:
        overrides["language_weights"] = str(Path(job.language_weights).resolve())
    return overrides


@dataclass(frozen=True, kw_only=True)
class PretrainJob:
    """``ray_jobs/pretrain.py``: a training preset on packed token shards (Ray Train)."""

    preset: str = option("tiny", "training preset (starcoder_model.training.presets)")
    tokens: str = option("outputs/tokens", "token shards (pack_tokens.py output)")
    tokenizer: str = option("outputs/tokenizer", "the tokenizer the shards were packed with")
    output: str = option("outputs/pretrain", "run directory")
    overrides: dict[str, Any] = option(help=OVERRIDES_HELP, flag="--set", default_factory=dict)
    language_weights: str | None = option(None, LANGUAGE_WEIGHTS_HELP)
    address: str | None = option(None, "Ray cluster address")
    overwrite: bool = option(False, "start over in an output directory that holds another run")


@dataclass(frozen=True, kw_only=True)
class FinetuneJob:
    """``ray_jobs/finetune.py``: a checkpoint trained further on curated data or a folder.

    Exactly one of ``data``, ``folder`` and ``tokens`` says what to train on.
    """

    checkpoint: str = option(
        "outputs/pretrain/model",
        "causal LM to start from: a checkpoint folder (with its tokenizer), or a hub id "
        "in the local Hugging Face cache (docs/models.md)",
    )
    data: str | None = option(None, "curated Parquet to tokenize (curate.py's data/)")
    folder: str | None = option(None, "a plain folder of your own files to curate first")
    tokens: str | None = option(None, "token shards packed already with the checkpoint's tokenizer")
    languages: str | None = option(None, "comma-separated languages to keep, e.g. python")
    fim_rate: float = option(
        TrainConfig.fim_rate, "share of FIM segments per sample (StarCoder: 0.5)"
    )
    lora: bool = option(False, "train a LoRA adapter (peft) on the frozen checkpoint")
    lora_rank: int = option(TrainConfig.lora_rank, "LoRA rank r (with --lora)")
    lora_alpha: float = option(TrainConfig.lora_alpha, "LoRA scale: updates x alpha / r")
    lora_dropout: float = option(TrainConfig.lora_dropout, "dropout on the adapter's input")
    lora_targets: tuple[str, ...] = option(
        (), "a module the adapter wraps (repeatable); default: the model family's"
    )
    output: str = option("outputs/finetune", "run directory")
    overrides: dict[str, Any] = option(help=OVERRIDES_HELP, flag="--set", default_factory=dict)
    language_weights: str | None = option(None, LANGUAGE_WEIGHTS_HELP)
    address: str | None = option(None, "Ray cluster address")
    overwrite: bool = option(False, "start over in an output directory that holds another run")

    def lora_fields(self) -> dict[str, Any]:
        """The ``TrainConfig`` fields of the ``--lora*`` options (none without ``--lora``)."""
        if not self.lora:
            return {}
        fields = {
            "lora": True,
            "lora_rank": self.lora_rank,
            "lora_alpha": self.lora_alpha,
            "lora_dropout": self.lora_dropout,
        }
        return fields | ({"lora_targets": self.lora_targets} if self.lora_targets else {})

    def check(self) -> None:
        given = [name for name in ("data", "folder", "tokens") if getattr(self, name)]
        if not given:
            raise ValueError("give the data to fine-tune on: --data, --folder or --tokens")
        if len(given) > 1:
            raise ValueError(f"give one of --data, --folder and --tokens, not {given}")
        lora_shape = (self.lora_rank, self.lora_alpha, self.lora_dropout)
        defaults = (TrainConfig.lora_rank, TrainConfig.lora_alpha, TrainConfig.lora_dropout)
        if (self.lora_targets or lora_shape != defaults) and not self.lora:
            raise ValueError("--lora-rank/--lora-alpha/--lora-dropout/--lora-targets need --lora")
        training_overrides(self)


__all__ = ["FinetuneJob", "PretrainJob", "TokenizerJob", "training_overrides"]
