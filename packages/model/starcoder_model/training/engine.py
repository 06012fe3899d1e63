"""Wrap a model in a DeepSpeed engine with StarCoder's optimizer and schedule."""

from __future__ import annotations

import logging
import os

from starcoder_model.training.config import TrainConfig
from starcoder_model.training.deepspeed_config import deepspeed_config
from starcoder_model.training.schedule import build_scheduler


def use_cpu_accelerator_unless_gpu(use_gpu: bool) -> None:
    """DeepSpeed picks its accelerator at import; on CPU workers it must be told."""
    if not use_gpu:
        os.environ["DS_ACCELERATOR"] = "cpu"


def optimizer_groups(model, weight_decay: float) -> list[dict]:
    """Weight decay on matrices only: biases, LayerNorms and nothing else 1-D."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim >= 2 else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # ZeRO drops an empty group behind the scheduler's back (a LoRA adapter is all matrices)
    return [group for group in groups if group["params"]]


def build_optimizer(model, config: TrainConfig):
    """Torch's AdamW over the trainable weights; DeepSpeed's CPU Adam under ZeRO-Offload."""
    import torch

    opt = config.optimizer
    if config.offload_optimizer:
        from deepspeed.ops.adam import DeepSpeedCPUAdam

        return DeepSpeedCPUAdam(
            optimizer_groups(model, opt.weight_decay),
            lr=opt.lr,
            betas=opt.betas,
            eps=opt.eps,
            adamw_mode=True,
        )
    return torch.optim.AdamW(
        optimizer_groups(model, opt.weight_decay),
        lr=opt.lr,
        betas=opt.betas,
        eps=opt.eps,
        fused=config.use_gpu and torch.cuda.is_available(),
    )


def build_engine(model, config: TrainConfig, world_size: int):
    """``deepspeed.initialize`` with the generated config; returns the engine.

    Must run after the process group exists (Ray Train creates it; a single
    process needs ``init_single_process_group`` first).
    """
    use_cpu_accelerator_unless_gpu(config.use_gpu)
    import deepspeed
    from deepspeed.utils import logger as deepspeed_logger

    # DeepSpeed logs its whole config and every engine detail at INFO on every rank;
    # the run's console keeps our step lines and summaries (warnings still show).
    deepspeed_logger.setLevel(logging.WARNING)
    optimizer = build_optimizer(model, config)
    scheduler = build_scheduler(optimizer, config.optimizer, config.max_steps)
    engine, _, _, _ = deepspeed.initialize(
        model=model,
        optimizer=optimizer,
        lr_scheduler=scheduler,
        config=deepspeed_config(config, world_size),
    )
    return engine


def init_single_process_group() -> None:
    """A one-process group (NCCL on a GPU, else gloo) for the DeepSpeed loop outside Ray Train."""
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        for name, value in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1")):
            os.environ.setdefault(name, value)
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        dist.init_process_group(
            "nccl" if torch.cuda.is_available() else "gloo", rank=0, world_size=1
        )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
