"""The typed training config: one dataclass a run is described by.

Defaults follow StarCoder's recipe (section 5.1 of the paper) where it applies
at any scale: AdamW (0.9, 0.95), weight decay 0.1, gradient clipping 1.0,
linear warmup then cosine decay to 10% of the peak learning rate. The DeepSpeed
JSON is derived from this config (``deepspeed_config``), never written by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

Precision = Literal["fp32", "bf16", "fp16"]


@dataclass(frozen=True, kw_only=True)
class OptimizerConfig:
    lr: float = 3e-4  # StarCoder 15.5B: 3e-4
    min_lr_ratio: float = 0.1  # StarCoder: cosine decay to 3e-5 = 10% of the peak
    warmup_steps: int = 100  # StarCoder: 2,000 of 250k iterations
    betas: tuple[float, float] = (0.9, 0.95)  # StarCoder
    eps: float = 1e-8
    weight_decay: float = 0.1  # StarCoder
    grad_clip: float = 1.0  # StarCoder


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything a pretraining or fine-tuning run needs, on a laptop or a cluster."""

    tokens_dir: str = "outputs/tokens"  # packed token shards (``ray_jobs/pack_tokens.py``)
    output_dir: str = "outputs/pretrain"  # run directory: checkpoints, metrics, model/
    tokenizer_dir: str | None = None  # saved with every checkpoint; defaults to init_from's
    preset: str = "tiny"  # model preset; ignored when init_from is set
    init_from: str | None = None  # HF checkpoint directory to continue from (fine-tuning)
    seq_len: int = 512  # must equal the shards' sequence length
    global_batch_tokens: int = 32_768  # StarCoder: 4M tokens (512 x 8192)
    micro_batch_size: int = 4  # sequences per worker per forward pass
    max_steps: int = 1_000  # optimizer steps
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    zero_stage: Literal[0, 1, 2, 3] = 1
    precision: Precision = "fp32"  # bf16 on GPUs that have it
    num_workers: int = 2
    use_gpu: bool = False
    cpus_per_worker: int = 1
    seed: int = 0
    source_weights: dict[str, float] | None = None  # e.g. {"local": 1.0, "issues": 0.5}
    # Share of draws per language: {"python": 2.0, ...} or a file of such a table;
    # languages it does not name are not sampled. Not together with source_weights.
    language_weights: dict[str, float] | str | None = None
    fim_rate: float = 0.5  # StarCoder (Megatron --fim-rate): FIM on half of the segments
    fim_spm_rate: float = 0.5  # StarCoder (Megatron --fim-spm-rate): half of those in SPM
    eval_every: int = 100  # steps between validation losses
    eval_sequences: int = 64  # validation sequences per evaluation (all of them if fewer)
    report_every: int = 10  # steps between metric reports (each costs Ray ~1 s)
    checkpoint_every: int = 200  # steps between checkpoints
    keep_checkpoints: int = 2
    max_failures: int = 3  # worker failures Ray Train recovers from by resuming
    gradient_checkpointing: bool = False
    # ZeRO-Offload: AdamW states and fp32 master weights in CPU memory (ZeRO-2/3), stepped
    # by DeepSpeed's CPU Adam (a C++ op it compiles on first use)
    offload_optimizer: bool = False
    # LoRA (training.lora): train a low-rank adapter on the frozen init_from checkpoint
    lora: bool = False
    lora_rank: int = 16  # bigcode-project/starcoder finetune.py: r 16
    lora_alpha: float = 32.0  # same: alpha 32 (updates scaled by alpha / r = 2)
    lora_dropout: float = 0.05  # same: 0.05
    lora_targets: tuple[str, ...] | None = None  # None: the family's (ModelFamily.lora_targets)
    # Kill rank ``chaos_rank`` once at this step (after its checkpoint), to check on a
    # real cluster that a lost worker resumes from the last checkpoint.
    chaos_kill_at_step: int | None = None
    chaos_rank: int = 1

    def gradient_accumulation_steps(self, world_size: int) -> int:
        """Micro-steps per optimizer step, so that every step sees ``global_batch_tokens``."""
        per_micro_step = self.seq_len * self.micro_batch_size * world_size
        if self.global_batch_tokens % per_micro_step:
            raise ValueError(
                f"global_batch_tokens={self.global_batch_tokens} is not divisible by "
                f"seq_len x micro_batch_size x workers = {self.seq_len} x "
                f"{self.micro_batch_size} x {world_size} = {per_micro_step}; pick a "
                "multiple of it or change micro_batch_size / num_workers"
            )
        return self.global_batch_tokens // per_micro_step

    @property
    def global_batch_sequences(self) -> int:
        return self.global_batch_tokens // self.seq_len

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (tuples become lists), as the saved run config holds them."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown training config fields: {sorted(unknown)}")
        values = dict(values)
        if isinstance(values.get("optimizer"), dict):
            opt = dict(values["optimizer"])
            if "betas" in opt:
                opt["betas"] = tuple(opt["betas"])
            values["optimizer"] = OptimizerConfig(**opt)
        if values.get("lora_targets") is not None:
            values["lora_targets"] = tuple(values["lora_targets"])
        return cls(**values)

    def with_overrides(self, **changes: Any) -> TrainConfig:
        optimizer_changes = {k: v for k, v in changes.items() if k in _OPTIMIZER_FIELDS}
        changes = {k: v for k, v in changes.items() if k not in _OPTIMIZER_FIELDS}
        if optimizer_changes:
            changes["optimizer"] = replace(self.optimizer, **optimizer_changes)
        return replace(self, **changes)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")


_OPTIMIZER_FIELDS = {f.name for f in fields(OptimizerConfig)}
