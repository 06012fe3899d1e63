"""The function Ray Train's ``TorchTrainer`` runs on every worker.

The one module of the training package that imports Ray: it reads the rank
from Ray Train's context, resumes from ``ray.train.get_checkpoint()`` and
reports metrics and checkpoints with ``ray.train.report``.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import numpy as np

from starcoder_model.training.config import TrainConfig
from starcoder_model.training.engine import build_engine, use_cpu_accelerator_unless_gpu
from starcoder_model.training.loop import (
    TrainState,
    evaluate,
    load_checkpoint,
    mean_across_ranks,
    save_checkpoint,
    train_step,
)
from starcoder_model.training.metrics import MetricsLog, model_flops_utilization, peak_flops
from starcoder_model.training.sampling import SequenceSampler, evaluation_indices
from starcoder_model.training.setup import build_or_load_model, open_run_data, run_tokenizer

CHAOS_MARKER = ".chaos_kill_done"


def train_loop_per_worker(loop_config: dict) -> None:
    import ray.train
    import torch

    config = TrainConfig.from_dict(loop_config)
    context = ray.train.get_context()
    rank, world_size = context.get_world_rank(), context.get_world_size()
    torch.set_num_threads(config.cpus_per_worker)
    use_cpu_accelerator_unless_gpu(config.use_gpu)

    train_data, val_data = open_run_data(config)
    tokenizer = run_tokenizer(config)
    model = build_or_load_model(config, train_data.vocab_size)
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    engine = build_engine(model, config, world_size)
    accumulation = config.gradient_accumulation_steps(world_size)

    state = TrainState()
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            state = load_checkpoint(engine, Path(directory))
        _log(rank, f"resumed from step {state.step}")

    sampler = SequenceSampler(train_data.sequences_by_source, config.seed, config.source_weights)
    eval_ids = (
        evaluation_indices(len(val_data), config.eval_sequences, rank, world_size)
        if val_data is not None
        else None
    )
    log = MetricsLog(Path(config.output_dir)) if rank == 0 else None
    flops_per_token, peak = _mfu_inputs(config, model)

    window_losses: list[float] = []
    window_start, window_tokens = time.perf_counter(), state.tokens_seen
    while state.step < config.max_steps:
        loss = train_step(
            engine,
            train_data,
            sampler,
            state,
            rank=rank,
            world_size=world_size,
            micro_batch_size=config.micro_batch_size,
            accumulation=accumulation,
            seed=config.seed,
        )
        (mean_loss,) = mean_across_ranks([loss], engine.device)
        window_losses.append(mean_loss)
        record = {
            "step": state.step,
            "loss": mean_loss,
            "tokens_seen": state.tokens_seen,
            "lr": engine.get_lr()[0],
        }
        last = state.step == config.max_steps
        if eval_ids is not None and (state.step % config.eval_every == 0 or last):
            (record["val_loss"],) = mean_across_ranks(
                [evaluate(engine, val_data, eval_ids, config.micro_batch_size)], engine.device
            )
        if state.step % config.report_every == 0 or last or "val_loss" in record:
            elapsed = time.perf_counter() - window_start
            tokens_per_s = (state.tokens_seen - window_tokens) / elapsed
            record["tokens_per_s"] = tokens_per_s
            if peak:
                record["mfu"] = model_flops_utilization(
                    tokens_per_s / world_size, flops_per_token, peak
                )
        if log is not None:
            log.write(record)
        if state.step % config.checkpoint_every == 0 or last:
            _report_with_checkpoint(engine, state, tokenizer, rank, record)
        elif "tokens_per_s" in record:
            ray.train.report(_reportable(record, window_losses))
        if "tokens_per_s" in record:
            if rank == 0:
                _print_progress(record, config.max_steps, window_losses)
            window_losses = []
            window_start, window_tokens = time.perf_counter(), state.tokens_seen
        _maybe_chaos_kill(config, state.step, rank)
    if log is not None:
        log.close()


def _report_with_checkpoint(engine, state, tokenizer, rank, record) -> None:
    import ray.train

    with tempfile.TemporaryDirectory(prefix="checkpoint-") as directory:
        save_checkpoint(engine, Path(directory), state, tokenizer, rank)
        ray.train.report(
            _reportable(record, []),
            checkpoint=ray.train.Checkpoint.from_directory(directory),
            checkpoint_dir_name=f"checkpoint_{state.step:08d}",
        )


def _reportable(record: dict, window_losses: list[float]) -> dict:
    out = dict(record)
    if window_losses:
        out["loss"] = float(np.mean(window_losses))
    return out


def _print_progress(record: dict, max_steps: int, window_losses: list[float]) -> None:
    parts = [f"step {record['step']}/{max_steps}", f"loss {np.mean(window_losses):.3f}"]
    if "val_loss" in record:
        parts.append(f"val {record['val_loss']:.3f}")
    parts += [f"lr {record['lr']:.2e}", f"{record['tokens_per_s']:,.0f} tok/s"]
    if "mfu" in record:
        parts.append(f"MFU {record['mfu']:.1%}")
    print(" | ".join(parts), flush=True)


def _mfu_inputs(config: TrainConfig, model) -> tuple[float, float | None]:
    import torch

    if not (config.use_gpu and torch.cuda.is_available()):
        return 0.0, None
    from starcoder_model.modeling import flops_per_token

    return flops_per_token(model.config, config.seq_len), peak_flops(torch.cuda.get_device_name())


def _maybe_chaos_kill(config: TrainConfig, step: int, rank: int) -> None:
    """Kill one worker once, for checking recovery (``TrainConfig.chaos_kill_at_step``).

    Every rank first passes a barrier, so all reports before this step have been
    taken up by Ray Train: the checkpoint before it is registered and is where the
    restarted workers resume.
    """
    if config.chaos_kill_at_step != step:
        return
    import torch.distributed as dist

    marker = Path(config.output_dir) / CHAOS_MARKER
    if marker.exists():
        return
    dist.barrier()
    if rank == config.chaos_rank:
        marker.touch()
        _log(rank, f"chaos: killing this worker at step {step}")
        os.kill(os.getpid(), signal.SIGKILL)


def _log(rank: int, message: str) -> None:
    print(f"[rank {rank}] {message}", flush=True)
