"""StarCoder's learning-rate schedule: linear warmup, then cosine decay to a floor."""

from __future__ import annotations

import math

from starcoder_model.training.config import OptimizerConfig


def lr_multiplier(step: int, optimizer: OptimizerConfig, max_steps: int) -> float:
    """Factor of the peak learning rate at optimizer step ``step`` (0-based).

    Warmup rises linearly to 1 over ``warmup_steps`` (starting above 0, so the
    first step already learns); cosine then falls to ``min_lr_ratio`` at
    ``max_steps`` and stays there.
    """
    warmup = min(optimizer.warmup_steps, max_steps)
    if step < warmup:
        return (step + 1) / warmup
    decay_steps = max(1, max_steps - warmup)
    progress = min(1.0, (step - warmup) / decay_steps)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return optimizer.min_lr_ratio + (1.0 - optimizer.min_lr_ratio) * cosine


def build_scheduler(torch_optimizer, optimizer: OptimizerConfig, max_steps: int):
    """A ``torch`` LambdaLR stepping once per optimizer step."""
    import torch

    return torch.optim.lr_scheduler.LambdaLR(
        torch_optimizer, lambda step: lr_multiplier(step, optimizer, max_steps)
    )
