"""Pretrain a StarCoder-architecture model on packed token shards (Ray Train + DeepSpeed).

    python ray_jobs/pretrain.py                                      # tiny preset, 2 CPU workers
    python ray_jobs/pretrain.py --set max_steps=1000 --set zero_stage=2
    ray job submit --working-dir . -- python ray_jobs/pretrain.py \\
        --preset starcoderbase-1b-gpu --tokens /shared/tokens --output /shared/runs/1b

Outputs under --output: ``model/`` (HF checkpoint with tokenizer), ``metrics.jsonl``,
``tensorboard/``, ``loss_curve.png``, ``summary.json`` and ``ray_train/`` (the
checkpoints a rerun or a restarted worker resumes from).
"""

from __future__ import annotations

import sys

from starcoder_jobs.config import parse_config
from starcoder_model.jobs import PretrainJob, training_overrides
from starcoder_model.training.config import TrainConfig
from starcoder_model.training.driver import run_training
from starcoder_model.training.presets import PRETRAIN_PRESETS
from starcoder_model.training.report import TrainingReport


def train_config(job: PretrainJob) -> TrainConfig:
    """The job's preset with its overrides (``ValueError`` for an unknown preset or field)."""
    return PRETRAIN_PRESETS[job.preset].with_overrides(
        tokens_dir=job.tokens,
        output_dir=job.output,
        tokenizer_dir=job.tokenizer,
        **training_overrides(job),
    )


def run(job: PretrainJob) -> TrainingReport:
    """Train to the preset's last step (resuming a run left in ``job.output``); the summary."""
    return run_training(train_config(job), address=job.address, overwrite=job.overwrite)


def parse_args(argv: list[str] | None) -> PretrainJob:
    return parse_config(PretrainJob, argv, __doc__.split("\n\n")[0], check=train_config)


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
