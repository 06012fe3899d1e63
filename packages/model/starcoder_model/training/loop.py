"""One optimizer step, one evaluation, one checkpoint: the loop's pieces, Ray-free.

``ray_loop`` strings these together inside Ray Train; the benchmark's
single-process run and the tests call them directly.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from starcoder_model.training.lora import is_lora_model, save_adapter, trainable_weights_only
from starcoder_model.training.sampling import SequenceSampler

DEEPSPEED_SUBDIR = "deepspeed"  # DeepSpeed's resumable state inside a checkpoint
_DEEPSPEED_TAG = "state"
TRAINER_STATE_FILE = "trainer_state.json"


@dataclass
class TrainState:
    """Where a run is; saved with every checkpoint. The step is the data position."""

    step: int = 0  # optimizer steps done
    tokens_seen: int = 0

    def save(self, directory: Path) -> None:
        (directory / TRAINER_STATE_FILE).write_text(json.dumps(asdict(self)) + "\n")

    @classmethod
    def load(cls, directory: Path) -> TrainState:
        return cls(**json.loads((directory / TRAINER_STATE_FILE).read_text()))


def to_device(batch: np.ndarray, device):
    import torch

    return torch.from_numpy(np.ascontiguousarray(batch, dtype=np.int64)).to(device)


def step_seed(seed: int, step: int, rank: int, world_size: int) -> int:
    """Dropout's seed for one step on one rank: a resumed run draws the same masks."""
    return (seed * 1_000_003 + step * world_size + rank) % 2**63


def train_step(
    engine,
    data,
    sampler: SequenceSampler,
    state: TrainState,
    *,
    rank: int,
    world_size: int,
    micro_batch_size: int,
    accumulation: int,
    seed: int,
) -> float:
    """Run one optimizer step (``accumulation`` micro-batches); return this rank's mean loss.

    ``data`` is a :class:`~starcoder_model.training.data.TrainingSequences`:
    each micro-batch is read with its epochs, which seed the FIM draws.
    """
    import torch

    torch.manual_seed(step_seed(seed, state.step, rank, world_size))
    losses = []
    for micro_step in range(accumulation):
        where = (state.step, micro_step, rank, world_size, micro_batch_size, accumulation)
        indices, epochs = sampler.micro_batch(*where)
        input_ids = to_device(data.batch(indices, epochs), engine.device)
        loss = engine(input_ids=input_ids, labels=input_ids).loss
        engine.backward(loss)  # DeepSpeed divides by the accumulation steps
        engine.step()  # an optimizer step only at the accumulation boundary
        losses.append(loss.item())
    state.step += 1
    state.tokens_seen += sampler_tokens(micro_batch_size, accumulation, world_size, data.seq_len)
    return float(np.mean(losses))


def sampler_tokens(micro_batch_size: int, accumulation: int, world_size: int, seq_len: int):
    return micro_batch_size * accumulation * world_size * seq_len


def mean_across_ranks(values: list[float], device) -> list[float]:
    """Average a few floats over all ranks (one all-reduce)."""
    import torch
    import torch.distributed as dist

    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(tensor)
        tensor /= dist.get_world_size()
    return tensor.tolist()


def evaluate(engine, data, indices: np.ndarray, micro_batch_size: int) -> float:
    """Mean next-token loss over ``indices`` of ``data`` (this rank's share; not reduced).

    Every rank must get the same number of micro-batches: under ZeRO-3 each
    forward pass is a collective.
    """
    import torch

    engine.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(indices), micro_batch_size):
            chunk = indices[start : start + micro_batch_size]
            input_ids = to_device(data.batch(chunk), engine.device)
            total += engine(input_ids=input_ids, labels=input_ids).loss.item() * len(chunk)
            count += len(chunk)
    engine.train()
    return total / count if count else math.nan


def save_checkpoint(engine, directory: Path, state: TrainState, tokenizer, rank: int) -> None:
    """Write a checkpoint every rank takes part in.

    The directory is at once an HF model (``from_pretrained`` loads it: rank 0
    writes safetensors, config and tokenizer) and a resumable run (each rank
    writes its DeepSpeed shard under ``deepspeed/``; ``trainer_state.json``
    holds the step, which is also the data position).
    """
    directory.mkdir(parents=True, exist_ok=True)
    if is_lora_model(engine.module):
        _save_lora_checkpoint(engine, directory, state, tokenizer, rank)
        return
    engine.save_checkpoint(str(directory / DEEPSPEED_SUBDIR), tag=_DEEPSPEED_TAG)
    if engine.zero_optimization_stage() == 3:
        state_dict = engine._zero3_consolidated_16bit_state_dict()  # collective
    else:
        state_dict = engine.module.state_dict()
    if rank == 0:
        engine.module.save_pretrained(directory, state_dict=state_dict)
        if tokenizer is not None:
            tokenizer.save_pretrained(directory)
        state.save(directory)


def _save_lora_checkpoint(engine, directory: Path, state: TrainState, tokenizer, rank: int):
    """A LoRA run's checkpoint: the adapter and the trainable weights' DeepSpeed state only.

    The frozen base is left out of both (``exclude_frozen_parameters``): it is
    ``init_from``'s, reloaded by a resumed worker, so a checkpoint stays the
    adapter's size rather than the model's.
    """
    with trainable_weights_only(engine):
        engine.save_checkpoint(
            str(directory / DEEPSPEED_SUBDIR), tag=_DEEPSPEED_TAG, exclude_frozen_parameters=True
        )
    save_adapter(engine, directory, tokenizer, rank)
    if rank == 0:
        state.save(directory)


def load_checkpoint(engine, directory: Path) -> TrainState:
    """Restore model, optimizer, LR schedule and position from ``save_checkpoint``'s output.

    A LoRA checkpoint holds the trainable weights only: the frozen ones the
    engine has already (from ``init_from``) are not expected in it.
    """
    load_path, _ = engine.load_checkpoint(
        str(directory / DEEPSPEED_SUBDIR),
        tag=_DEEPSPEED_TAG,
        load_module_strict=not is_lora_model(engine.module),
    )
    if load_path is None:
        raise FileNotFoundError(f"no DeepSpeed state under {directory / DEEPSPEED_SUBDIR}")
    return TrainState.load(directory)


def export_model(checkpoint_dir: Path, destination: Path) -> None:
    """Copy a checkpoint's HF files (not the DeepSpeed state) to ``destination``."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(
        checkpoint_dir,
        destination,
        ignore=shutil.ignore_patterns(DEEPSPEED_SUBDIR, TRAINER_STATE_FILE, ".*"),
    )
