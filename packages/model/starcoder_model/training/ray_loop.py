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
from dataclasses import dataclass, field
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
from starcoder_model.training.lora import wrap_with_lora
from starcoder_model.training.metrics import MetricsLog, model_flops_utilization, peak_flops
from starcoder_model.training.sampling import evaluation_indices
from starcoder_model.training.setup import (
    build_or_load_model,
    build_sampler,
    open_run_data,
    run_tokenizer,
)

CHAOS_MARKER = ".chaos_kill_done"


def train_loop_per_worker(loop_config: dict) -> None:
    import ray.train
    import torch

    config = TrainConfig.from_dict(loop_config)
    context = ray.train.get_context()
    torch.set_num_threads(config.cpus_per_worker)
    use_cpu_accelerator_unless_gpu(config.use_gpu)
    run = WorkerRun.start(config, context.get_world_rank(), context.get_world_size())
    while run.state.step < config.max_steps:
        run.step()
        _maybe_chaos_kill(config, run.state.step, run.rank)
    run.close()


@dataclass
class Window:
    """The steps since the last report: their losses, and the clock and tokens at its start."""

    tokens_at_start: int
    losses: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


class WorkerRun:
    """One worker's share of a run: its engine, data, position, and what it reports."""

    def __init__(
        self, config, rank, world_size, engine, train_data, val_data, tokenizer, state, mfu_inputs
    ):
        self.config, self.rank, self.world_size = config, rank, world_size
        self.engine, self.train_data, self.val_data = engine, train_data, val_data
        self.tokenizer, self.state = tokenizer, state
        self.flops_per_token, self.peak = mfu_inputs
        self.accumulation = config.gradient_accumulation_steps(world_size)
        self.sampler = build_sampler(config, train_data)
        self.eval_ids = (
            evaluation_indices(len(val_data), config.eval_sequences, rank, world_size)
            if val_data is not None
            else None
        )
        self.log = MetricsLog(Path(config.output_dir)) if rank == 0 else None
        self.window = Window(state.tokens_seen)

    @classmethod
    def start(cls, config: TrainConfig, rank: int, world_size: int) -> WorkerRun:
        """Build the model and engine, then resume from Ray Train's checkpoint if there is one."""
        import ray.train

        train_data, val_data = open_run_data(config)
        model = build_or_load_model(config, train_data.vocab_size)
        tokenizer = run_tokenizer(config)
        if config.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        if config.lora:
            model = wrap_with_lora(model, config, tokenizer.get_vocab())
        engine = build_engine(model, config, world_size)
        state = TrainState()
        checkpoint = ray.train.get_checkpoint()
        if checkpoint is not None:
            with checkpoint.as_directory() as directory:
                state = load_checkpoint(engine, Path(directory))
            _log(rank, f"resumed from step {state.step}")
        return cls(
            config,
            rank,
            world_size,
            engine,
            train_data,
            val_data,
            tokenizer,
            state,
            _mfu_inputs(config, model),
        )

    def step(self) -> None:
        """Train one step, then log, evaluate, report and checkpoint as they fall due."""
        config = self.config
        loss = train_step(
            self.engine,
            self.train_data,
            self.sampler,
            self.state,
            rank=self.rank,
            world_size=self.world_size,
            micro_batch_size=config.micro_batch_size,
            accumulation=self.accumulation,
            seed=config.seed,
        )
        (mean_loss,) = mean_across_ranks([loss], self.engine.device)
        self.window.losses.append(mean_loss)
        step, last = self.state.step, self.state.step == config.max_steps
        record = {
            "step": step,
            "loss": mean_loss,
            "tokens_seen": self.state.tokens_seen,
            "lr": self.engine.get_lr()[0],
        }
        if self.eval_ids is not None and (step % config.eval_every == 0 or last):
            record["val_loss"] = self._validation_loss()
        reporting = step % config.report_every == 0 or last or "val_loss" in record
        if reporting:
            record.update(self._throughput())
        if self.log is not None:
            self.log.write(record)
        if step % config.checkpoint_every == 0 or last:
            self._report_with_checkpoint(record)
        elif reporting:
            self._report(record)
        if reporting:  # the driver prints it from the metrics log (training.progress)
            self.window = Window(self.state.tokens_seen)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()

    def _validation_loss(self) -> float:
        local = evaluate(self.engine, self.val_data, self.eval_ids, self.config.micro_batch_size)
        (mean,) = mean_across_ranks([local], self.engine.device)
        return mean

    def _throughput(self) -> dict:
        elapsed = time.perf_counter() - self.window.started
        tokens_per_s = (self.state.tokens_seen - self.window.tokens_at_start) / elapsed
        out = {"tokens_per_s": tokens_per_s}
        if self.peak:
            out["mfu"] = model_flops_utilization(
                tokens_per_s / self.world_size, self.flops_per_token, self.peak
            )
        return out

    def _report(self, record: dict, checkpoint=None, checkpoint_dir_name=None) -> None:
        import ray.train

        reported = dict(record)
        if self.window.losses:  # the window's mean loss, not only the last step's
            reported["loss"] = float(np.mean(self.window.losses))
        ray.train.report(reported, checkpoint=checkpoint, checkpoint_dir_name=checkpoint_dir_name)

    def _report_with_checkpoint(self, record: dict) -> None:
        import ray.train

        with tempfile.TemporaryDirectory(prefix="checkpoint-") as directory:
            save_checkpoint(self.engine, Path(directory), self.state, self.tokenizer, self.rank)
            self._report(
                record,
                checkpoint=ray.train.Checkpoint.from_directory(directory),
                checkpoint_dir_name=f"checkpoint_{self.state.step:08d}",
            )


def _mfu_inputs(config: TrainConfig, model) -> tuple[float, float | None]:
    import torch

    if not (config.use_gpu and torch.cuda.is_available()):
        return 0.0, None
    from starcoder_model.checkpoints import flops_per_token

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
