"""The Ray Train worker loop for :mod:`.training` (StarEncoder pretraining and NER fine-tuning).

Each worker samples its own batches (seeded by rank and step, so a resumed
run sees the batches it would have seen), gradients are averaged by DDP when
there are several workers, and rank 0 writes a checkpoint every
``checkpoint_every`` steps and at the end; a restarted run resumes from
``ray.train.get_checkpoint()``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from .training import (
    PiiTrainConfig,
    build_task,
    load_checkpoint,
    make_optimizer,
    save_checkpoint,
    train_step,
)


def train_loop_per_worker(loop_config: dict) -> None:
    import ray.train
    import torch
    from ray.train.torch import get_device, prepare_model

    config = PiiTrainConfig.from_dict(loop_config)
    context = ray.train.get_context()
    rank = context.get_world_rank()
    torch.manual_seed(config.seed)
    model, tokenizer, batches = build_task(config, rank)
    optimizer, schedule = make_optimizer(model, config)
    step = 0
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            step = load_checkpoint(Path(directory), model, optimizer, schedule)
        print(f"[rank {rank}] resumed at step {step}", flush=True)
    model = prepare_model(model) if context.get_world_size() > 1 else model.to(get_device())
    device = get_device()
    metrics_file = Path(config.output_dir) / "metrics.jsonl"
    started, window = time.perf_counter(), []
    while step < config.max_steps:
        record = train_step(model, batches.batch(step), optimizer, schedule, config, device)
        step += 1
        window.append(record["loss"])
        last = step == config.max_steps
        if step % config.log_every and step % config.checkpoint_every and not last:
            continue
        record = record | {"step": step, "loss": sum(window) / len(window)}
        record["s_per_step"] = (time.perf_counter() - started) / len(window)
        started, window = time.perf_counter(), []
        if rank == 0:
            with metrics_file.open("a") as f:  # the driver prints it (training.progress)
                f.write(json.dumps(record) + "\n")
        if step % config.checkpoint_every == 0 or last:
            _report_with_checkpoint(record, model, tokenizer, optimizer, schedule, step, config)
        else:
            ray.train.report(record)


def _report_with_checkpoint(record, model, tokenizer, optimizer, schedule, step, config) -> None:
    import ray.train

    with tempfile.TemporaryDirectory() as directory:
        checkpoint = None
        if ray.train.get_context().get_world_rank() == 0:
            save_checkpoint(Path(directory), model, tokenizer, optimizer, schedule, step, config)
            checkpoint = ray.train.Checkpoint.from_directory(directory)
        ray.train.report(record, checkpoint=checkpoint, checkpoint_dir_name=f"step_{step:07d}")
