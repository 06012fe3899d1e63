"""What one pipeline run does: a preset of every stage's settings, overridable per field.

Three presets cover the project's scales: ``laptop`` (the default: the
machine's own code, the tiny model, 2 CPUs, under 30 minutes), ``micro``
(the whole recipe in a couple of minutes, for tests and smoke checks) and
``gpu-1b`` (StarCoderBase-1B on the GPU workers of cluster.yaml).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """Every stage's settings. Fields map one to one onto the jobs' command-line options."""

    preset: str = "laptop"
    # curate
    sources: tuple[str, ...] = ("local",)  # curate.py --source, KIND[:LOCATION]
    max_repos: int | None = None
    license_policy: str = "permissive"  # StarCoder: permissive licenses only
    optout: str | None = None
    # redact PII
    pii_model: str | None = None  # a PII NER model directory; None: the regex baseline
    # tokenizer
    vocab_size: int = 8192  # StarCoder: 49,152
    tokenizer_sample_mb: float = 32.0
    # tokens
    pack_preset: str = "tiny"  # pack_tokens.py --preset (tiny: 512 tokens; full: 8192)
    pack_overrides: tuple[str, ...] = ()  # extra pack_tokens.py arguments
    # pretrain
    train_preset: str = "tiny"  # pretrain.py --preset
    train_overrides: tuple[str, ...] = ()  # pretrain.py --set FIELD=VALUE
    # evaluate
    eval_tasks: str = "humaneval"
    eval_limit: int | None = None  # first N problems of each task
    eval_max_new_tokens: int = 256
    eval_actors: int = 2
    eval_batch_size: int = 8
    eval_gpus_per_actor: float = 0.0
    # serve
    serve_num_gpus: float = 0.0
    serve_max_replicas: int = 1
    # the model card
    weights_license: str = "bigcode-openrail-m"  # StarCoder's weights license

    def replace(self, **changes) -> PipelineConfig:
        return dataclasses.replace(self, **changes)


def laptop() -> PipelineConfig:
    """The embedded default: this machine's code, the tiny model, greedy HumanEval."""
    return PipelineConfig(preset="laptop")


def micro() -> PipelineConfig:
    """The whole recipe at the smallest useful scale: a few files, a micro model, 8 problems."""
    return PipelineConfig(
        preset="micro",
        vocab_size=512,
        tokenizer_sample_mb=1.0,
        pack_overrides=("--seq-len", "64", "--val-fraction", "0.2"),
        train_overrides=(
            "preset=micro",
            "seq_len=64",
            "global_batch_tokens=1024",
            "micro_batch_size=4",
            "max_steps=8",
            "eval_every=4",
            "checkpoint_every=4",
            "report_every=1",
        ),
        eval_limit=4,
        eval_max_new_tokens=24,
        eval_actors=1,
    )


def gpu_1b() -> PipelineConfig:
    """StarCoderBase-1B on cluster.yaml's GPU workers (one node of 8 x A100): 8K context."""
    return PipelineConfig(
        preset="gpu-1b",
        vocab_size=49_152,  # StarCoder
        tokenizer_sample_mb=1024.0,
        pack_preset="full",
        train_preset="starcoderbase-1b-gpu",
        eval_tasks="humaneval,mbpp,fim",
        eval_max_new_tokens=512,
        eval_actors=8,
        eval_batch_size=32,
        eval_gpus_per_actor=1.0,
        serve_num_gpus=1.0,
        serve_max_replicas=4,
    )


PIPELINE_PRESETS = {"laptop": laptop, "micro": micro, "gpu-1b": gpu_1b}


def pipeline_config(preset: str, **overrides) -> PipelineConfig:
    """A preset with ``overrides`` (fields left as None keep the preset's value)."""
    if preset not in PIPELINE_PRESETS:
        raise ValueError(f"unknown preset {preset!r}; one of {sorted(PIPELINE_PRESETS)}")
    config = PIPELINE_PRESETS[preset]()
    known = {f.name for f in dataclasses.fields(PipelineConfig)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown pipeline settings {sorted(unknown)}")
    return config.replace(**{k: v for k, v in overrides.items() if v is not None})


__all__ = ["PIPELINE_PRESETS", "PipelineConfig", "gpu_1b", "laptop", "micro", "pipeline_config"]
