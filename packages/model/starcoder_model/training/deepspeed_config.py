"""The DeepSpeed JSON, derived from the typed ``TrainConfig``."""

from __future__ import annotations

from typing import Any

from starcoder_model.training.config import TrainConfig


def deepspeed_config(config: TrainConfig, world_size: int) -> dict[str, Any]:
    """DeepSpeed's config for ``config`` on ``world_size`` workers.

    The optimizer and LR schedule are passed to ``deepspeed.initialize`` as
    torch objects rather than declared here: DeepSpeed's own AdamW compiles a
    C++ op on CPU, and a torch schedule is what the single-process baseline and
    the tests use too. ZeRO then needs ``zero_allow_untested_optimizer``.
    With ``offload_optimizer`` (ZeRO-Offload) the optimizer is DeepSpeed's CPU
    Adam instead, which steps the fp32 master weights in CPU memory.
    """
    accumulation = config.gradient_accumulation_steps(world_size)
    zero: dict[str, Any] = {"stage": config.zero_stage}
    if config.zero_stage >= 2:
        zero.update(overlap_comm=config.use_gpu, contiguous_gradients=True)
    if config.offload_optimizer:
        if config.zero_stage < 2:
            raise ValueError("offload_optimizer needs zero_stage 2 or 3 (ZeRO-Offload)")
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": config.use_gpu}
    if config.zero_stage == 3:
        # Gathers a full 16-bit state dict at save time for the HF checkpoint.
        zero["stage3_gather_16bit_weights_on_model_save"] = True
    return {
        "train_batch_size": config.micro_batch_size * accumulation * world_size,
        "train_micro_batch_size_per_gpu": config.micro_batch_size,
        "gradient_accumulation_steps": accumulation,
        "gradient_clipping": config.optimizer.grad_clip,
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,
        "bf16": {"enabled": config.precision == "bf16"},
        "fp16": {"enabled": config.precision == "fp16", "initial_scale_power": 16},
        "steps_per_print": 10**9,  # progress is ours; DeepSpeed's would repeat it per rank
        "wall_clock_breakdown": False,
    }
