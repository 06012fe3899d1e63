"""One training loop for both of StarCoder's PII models: StarEncoder (MLM + NSP) and the NER head.

The loop is split into pieces a test can call without Ray: :func:`build_task`
makes the model and a batch source from a :class:`PiiTrainConfig`,
:func:`train_step` takes one optimiser step, :func:`save_checkpoint` /
:func:`load_checkpoint` write and read a resumable state (the HF model
directory plus optimiser, schedule and step). ``ray_loop`` wires them into a
Ray Train worker.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

MLM, NER = "mlm", "ner"
MODEL_SUBDIR = "model"
STATE_FILE = "trainer_state.pt"
TASK_FILE = "pii_task.json"  # next to an NER model: its window and label set


@dataclass(frozen=True, kw_only=True)
class PiiTrainConfig:
    task: str  # "mlm" (StarEncoder pretraining) or "ner" (fine-tuning)
    data: str  # mlm: documents .npz (ids + offsets); ner: windows .npz
    tokenizer_dir: str  # mlm: the project tokenizer; ner: the StarEncoder directory
    output_dir: str
    preset: str = "tiny"  # mlm only: an encoder preset (``encoder.presets``)
    seq_len: int = 512  # mlm sequence / ner window, [CLS] and [SEP] included
    batch_size: int = 16  # per worker
    max_steps: int = 1000
    lr: float = 5e-4
    warmup_steps: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    outside_weight: float = 0.3  # ner: loss weight of the "O" tag (most tokens are O)
    stride: int = 128  # ner: window overlap, recorded for inference
    checkpoint_every: int = 200
    log_every: int = 20
    num_workers: int = 1
    cpus_per_worker: int = 2
    use_gpu: bool = False
    seed: int = 0

    def __post_init__(self):
        if self.task not in (MLM, NER):
            raise ValueError(f"task must be {MLM!r} or {NER!r}, not {self.task!r}")
        if min(self.max_steps, self.batch_size, self.checkpoint_every, self.log_every) < 1:
            raise ValueError("max_steps, batch_size, checkpoint_every and log_every must be >= 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict) -> PiiTrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in known})


def lr_factor(step: int, config: PiiTrainConfig) -> float:
    """Linear warm-up, then cosine decay to 10% (BERT used linear decay; either works)."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class MlmBatches:
    """MLM + NSP batches from token documents; batch ``step`` is fixed by (seed, rank, step)."""

    def __init__(self, data: str, tokenizer, config: PiiTrainConfig, rank: int):
        from .encoder.pretraining_data import MlmConfig, SpecialIds

        stored = np.load(data)
        ids, offsets = stored["ids"], stored["offsets"]
        self.documents = [ids[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
        self.ids = SpecialIds.from_tokenizer(tokenizer)
        self.mlm = MlmConfig(seq_len=config.seq_len)
        self.config, self.rank = config, rank

    def batch(self, step: int) -> dict[str, np.ndarray]:
        from .encoder.pretraining_data import pretraining_batch

        rng = np.random.default_rng([self.config.seed, self.rank, step])
        return pretraining_batch(self.documents, rng, self.ids, self.mlm, self.config.batch_size)


class NerBatches:
    """Batches of labelled windows, sampled with replacement by (seed, rank, step)."""

    def __init__(self, data: str, config: PiiTrainConfig, rank: int):
        stored = np.load(data)
        self.arrays = {key: stored[key] for key in ("input_ids", "attention_mask", "labels")}
        self.config, self.rank = config, rank

    def batch(self, step: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.config.seed, self.rank, step])
        n = len(self.arrays["input_ids"])
        rows = rng.integers(n, size=self.config.batch_size)
        return {key: value[rows] for key, value in self.arrays.items()}


def build_task(config: PiiTrainConfig, rank: int = 0):
    """``(model, tokenizer, batches)`` for ``config.task``."""
    from .encoder.modeling import build_encoder, build_ner_model
    from .encoder.presets import get_preset
    from .encoder.tokenizer import encoder_tokenizer, load_encoder_tokenizer
    from .ner.windows import LABELS

    if config.task == MLM:
        tokenizer = encoder_tokenizer(config.tokenizer_dir)
        preset = get_preset(config.preset)
        if config.seq_len > preset.max_positions:
            raise ValueError(f"seq_len {config.seq_len} > {preset.name}'s {preset.max_positions}")
        model = build_encoder(preset, tokenizer, seed=config.seed)
        return model, tokenizer, MlmBatches(config.data, tokenizer, config, rank)
    tokenizer = load_encoder_tokenizer(config.tokenizer_dir)
    model = build_ner_model(config.tokenizer_dir, list(LABELS))
    return model, tokenizer, NerBatches(config.data, config, rank)


def make_optimizer(model, config: PiiTrainConfig):
    import torch

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.98), eps=1e-6)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, config))
    return optimizer, schedule


def train_step(model, batch: dict, optimizer, schedule, config: PiiTrainConfig, device) -> dict:
    """One optimiser step; returns the losses as floats."""
    import torch

    model.train()
    tensors = {k: torch.as_tensor(v, device=device) for k, v in batch.items()}
    if config.task == MLM:
        out = model(**tensors)
        loss = out.loss
        metrics = {"loss": loss}
    else:
        labels = tensors.pop("labels")
        logits = model(**tensors).logits
        weight = torch.ones(logits.shape[-1], device=device)
        weight[0] = config.outside_weight
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            labels.reshape(-1),
            weight=weight,
            ignore_index=-100,
        )
        metrics = {"loss": loss}
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    schedule.step()
    return {k: float(v.detach()) for k, v in metrics.items()} | {"lr": schedule.get_last_lr()[0]}


def save_checkpoint(
    directory: Path, model, tokenizer, optimizer, schedule, step: int, config: PiiTrainConfig
) -> Path:
    """The HF model under ``directory/model`` plus the optimiser state to resume from."""
    import torch

    from .encoder.modeling import save_hf

    model = getattr(model, "module", model)  # unwrap DDP
    save_hf(model, tokenizer, directory / MODEL_SUBDIR)
    if config.task == NER:
        task = {"window": config.seq_len, "stride": config.stride}
        (directory / MODEL_SUBDIR / TASK_FILE).write_text(json.dumps(task) + "\n")
    state = {"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(), "step": step}
    torch.save(state, directory / STATE_FILE)
    return directory


def load_checkpoint(directory: Path, model, optimizer, schedule) -> int:
    """Restore weights and optimiser state; return the number of steps already taken."""
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(directory / MODEL_SUBDIR / "model.safetensors"))
    getattr(model, "module", model).load_state_dict(weights, strict=False)
    state = torch.load(directory / STATE_FILE, weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    return int(state["step"])
