"""What one pipeline run does: every job's typed config, in one frozen dataclass per preset.

Three presets cover the project's scales: ``laptop`` (the default: the
machine's own code, the tiny model, 2 CPUs, under 30 minutes), ``micro``
(the whole recipe in a couple of minutes, for tests and smoke checks) and
``gpu-1b`` (StarCoderBase-1B on the GPU workers of cluster.yaml).

Each stage's job gets its config from here with the run's folders filled in
(:mod:`starcoder_pipeline.stages`); locally the pipeline calls the job's
``run(config)``, on a cluster it hands the same config over as JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace

from starcoder_attribution.jobs import IndexJob
from starcoder_data.jobs import CurateJob, PackTokensJob
from starcoder_eval.jobs import EvaluateJob
from starcoder_jobs.config import from_json, to_json
from starcoder_jobs.presets import Presets
from starcoder_model.jobs import PretrainJob, TokenizerJob
from starcoder_pii.jobs import RedactJob


def _evaluate_defaults() -> EvaluateJob:
    """Greedy HumanEval in the sandbox, short completions (the tiny model's budget)."""
    return EvaluateJob(
        tasks="humaneval", greedy=True, allow_code_execution=True, max_new_tokens=256
    )


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """How the last step serves the model (``ray_jobs/serve.py``)."""

    num_gpus: float = 0.0  # per replica
    max_replicas: int = 1


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """Every stage's job config; the folders in them are set per run by the stages."""

    preset: str = "laptop"
    curate: CurateJob = field(default_factory=CurateJob)
    redact: RedactJob = field(default_factory=RedactJob)  # the rules unless an NER model
    tokenizer: TokenizerJob = field(
        default_factory=lambda: TokenizerJob(vocab_size=8192, sample_mb=32.0, no_progress=True)
    )  # StarCoder: 49,152
    tokens: PackTokensJob = field(default_factory=PackTokensJob)  # tiny: 512 tokens
    pretrain: PretrainJob = field(default_factory=PretrainJob)  # the tiny preset
    evaluate: EvaluateJob = field(default_factory=_evaluate_defaults)
    index: IndexJob = field(default_factory=IndexJob)
    serve: ServeSettings = field(default_factory=ServeSettings)
    weights_license: str = "bigcode-openrail-m"  # the model card; StarCoder's weights license

    def replace(self, **changes) -> PipelineConfig:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return to_json(self)

    @classmethod
    def from_json(cls, text: str) -> PipelineConfig:
        return from_json(cls, text)


def laptop() -> PipelineConfig:
    """The embedded default: this machine's code, the tiny model, greedy HumanEval."""
    return PipelineConfig(preset="laptop")


def micro() -> PipelineConfig:
    """The whole recipe at the smallest useful scale: a few files, a micro model, 4 problems."""
    base = PipelineConfig()
    return PipelineConfig(
        preset="micro",
        tokenizer=replace(base.tokenizer, vocab_size=512, sample_mb=1.0),
        tokens=PackTokensJob(seq_len=64, val_fraction=0.2),
        pretrain=PretrainJob(
            overrides={
                "preset": "micro",
                "seq_len": 64,
                "global_batch_tokens": 1024,
                "micro_batch_size": 4,
                "max_steps": 8,
                "eval_every": 4,
                "checkpoint_every": 4,
                "report_every": 1,
            }
        ),
        evaluate=replace(base.evaluate, limit=4, max_new_tokens=24, actors=1),
    )


def gpu_1b() -> PipelineConfig:
    """StarCoderBase-1B on cluster.yaml's GPU workers (one node of 8 x A100): 8K context."""
    base = PipelineConfig()
    return PipelineConfig(
        preset="gpu-1b",
        tokenizer=replace(base.tokenizer, vocab_size=49_152, sample_mb=1024.0),  # StarCoder
        tokens=PackTokensJob(preset="full"),
        pretrain=PretrainJob(preset="starcoderbase-1b-gpu"),
        evaluate=replace(
            base.evaluate,
            tasks="humaneval,mbpp,fim",
            max_new_tokens=512,
            actors=8,
            batch_size=32,
            gpus_per_actor=1.0,
        ),
        serve=ServeSettings(num_gpus=1.0, max_replicas=4),
    )


PIPELINE_PRESETS: Presets[PipelineConfig] = Presets(
    "pipeline", {"laptop": laptop, "micro": micro, "gpu-1b": gpu_1b}
)


def pipeline_config(
    preset: str,
    *,
    sources: tuple[str, ...] | None = None,
    max_repos: int | None = None,
    optout: str | None = None,
    pii_model: str | None = None,
    weights_license: str | None = None,
) -> PipelineConfig:
    """A preset with the run-wide choices of the command line (None keeps the preset's)."""
    config = PIPELINE_PRESETS[preset]
    curate = {"sources": sources, "max_repos": max_repos, "optout": optout}
    config = config.replace(
        curate=replace(config.curate, **{k: v for k, v in curate.items() if v is not None})
    )
    if pii_model is not None:
        config = config.replace(redact=replace(config.redact, model=pii_model))
    if weights_license is not None:
        config = config.replace(weights_license=weights_license)
    return config


__all__ = [
    "PIPELINE_PRESETS",
    "PipelineConfig",
    "ServeSettings",
    "gpu_1b",
    "laptop",
    "micro",
    "pipeline_config",
]
