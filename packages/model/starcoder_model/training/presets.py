"""Named training runs: each a function returning a ``TrainConfig``; the jobs set its
folders and the CLI overrides fields.

Figures marked "StarCoder" are from Li et al. 2023, section 5 and the model card.
"""

from __future__ import annotations

from starcoder_jobs.presets import Presets

from starcoder_model.training.config import OptimizerConfig, TrainConfig


def tiny() -> TrainConfig:
    """The embedded default: the tiny model on 2 CPU workers in about five minutes.

    100 steps of 16k tokens (1.6M tokens) take the validation loss over a nat
    below the unigram entropy of the data.
    """
    return TrainConfig(
        preset="tiny",
        seq_len=512,
        global_batch_tokens=16_384,
        micro_batch_size=4,
        max_steps=100,
        optimizer=OptimizerConfig(lr=2e-3, warmup_steps=15),
        precision="bf16",  # 2x fp32 on CPUs with AMX / AVX512-BF16; fp32 master weights
        eval_every=25,
        report_every=10,
        checkpoint_every=50,
    )


def starcoderbase_1b_gpu() -> TrainConfig:
    """StarCoderBase-1B shape on the GPU workers of cluster.yaml (8 x A100 per node)."""
    return TrainConfig(
        preset="starcoderbase-1b",
        seq_len=8192,  # StarCoder
        global_batch_tokens=4_194_304,  # StarCoder: 512 sequences x 8192 tokens
        micro_batch_size=1,
        max_steps=250_000,  # StarCoder: 250k iterations, 1T tokens
        optimizer=OptimizerConfig(lr=4e-4, warmup_steps=2_000),  # StarCoderBase-1B: 4e-4
        zero_stage=2,
        precision="bf16",
        num_workers=8,
        use_gpu=True,
        cpus_per_worker=8,
        eval_every=1_000,
        report_every=10,
        checkpoint_every=1_000,
        gradient_checkpointing=True,
    )


def starcoder_15b_gpu() -> TrainConfig:
    """StarCoderBase-15.5B's recipe (trained on 512 A100s with Megatron; here ZeRO-3)."""
    return TrainConfig(
        preset="starcoder-15.5b",
        seq_len=8192,
        global_batch_tokens=4_194_304,
        micro_batch_size=1,
        max_steps=250_000,
        optimizer=OptimizerConfig(lr=3e-4, warmup_steps=2_000),  # StarCoder
        zero_stage=3,
        precision="bf16",
        num_workers=64,
        use_gpu=True,
        cpus_per_worker=8,
        eval_every=1_000,
        checkpoint_every=1_000,
        gradient_checkpointing=True,
    )


def python_finetune(tokens_dir: str, output_dir: str, init_from: str) -> TrainConfig:
    """StarCoder's Python fine-tune: from StarCoderBase, lr 5e-5 cosine to 5e-6, warmup.

    StarCoder fine-tuned 2 epochs on 35B Python tokens with the pretraining
    batch; here the batch is the tiny one so it runs on a laptop, and the step
    count is a default to override.
    """
    return TrainConfig(
        tokens_dir=tokens_dir,
        output_dir=output_dir,
        init_from=init_from,
        seq_len=512,
        global_batch_tokens=16_384,
        micro_batch_size=4,
        max_steps=100,
        optimizer=OptimizerConfig(lr=5e-5, min_lr_ratio=0.1, warmup_steps=10),
        precision="bf16",
        eval_every=25,
        report_every=5,
        checkpoint_every=50,
    )


def python_lora_finetune(tokens_dir: str, output_dir: str, init_from: str) -> TrainConfig:
    """:func:`python_finetune` as a LoRA adapter run: the base frozen, a 4x higher peak lr.

    LoRA's few, zero-started weights take larger steps than a full fine-tune's
    (Hu et al. 2021, table 11: 2e-4 for GPT-2 M), cosine to 10% as before.
    """
    full = python_finetune(tokens_dir, output_dir, init_from)
    return full.with_overrides(lora=True, lr=2e-4)


PRETRAIN_PRESETS: Presets[TrainConfig] = Presets(
    "training",
    {
        "tiny": tiny,
        "starcoderbase-1b-gpu": starcoderbase_1b_gpu,
        "starcoder-15.5b-gpu": starcoder_15b_gpu,
    },
)
