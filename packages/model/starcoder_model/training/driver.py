"""The driver side of training, shared by the pretrain and finetune jobs.

Checks the run before any worker starts, runs Ray Train's ``TorchTrainer``
with the package's worker loop, then publishes the final checkpoint as an HF
model directory with the loss curve and a summary.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path

from starcoder_data.run_dir import RunConflictError, RunDirectory
from starcoder_jobs.ray_runtime import init_ray

from .config import TrainConfig
from .loop import export_model
from .lora import ADAPTER_SUBDIR, check_lora_run, export_lora_run
from .metrics import plot_loss_curve, read_metrics
from .progress import ProgressFollower
from .report import TrainingReport
from .setup import RunPlan, check_run

MODEL_SUBDIR = "model"  # the published HF checkpoint of a finished run


def resolve_paths(config: TrainConfig) -> TrainConfig:
    """Absolute paths: Ray workers do not run in the driver's working directory."""

    def absolute(path: str | None) -> str | None:
        return str(Path(path).resolve()) if path is not None else None

    return dataclasses.replace(
        config,
        output_dir=absolute(config.output_dir),
        tokens_dir=absolute(config.tokens_dir),
        tokenizer_dir=absolute(config.tokenizer_dir),
        init_from=absolute(config.init_from),
    )


def claim_run(config: TrainConfig, inputs: dict | None = None, overwrite: bool = False) -> bool:
    """Take the run directory for this config (and the inputs it was made from)."""
    record = config.to_dict() | ({"inputs": inputs} if inputs else {})
    try:
        return RunDirectory(config.output_dir).claim(record, overwrite=overwrite)
    except RunConflictError as error:
        raise SystemExit(f"cannot train: {error}") from error


def run_training(
    config: TrainConfig,
    *,
    address: str | None = None,
    overwrite: bool = False,
    inputs: dict | None = None,
    resumed: bool | None = None,
) -> TrainingReport:
    """Train ``config`` to its last step (resuming a run left in its output) and publish it.

    ``resumed`` is given by a caller that took the run directory already (with
    the inputs it made the token shards from), as finetune.py does before
    packing into it; otherwise the run directory is claimed here.
    """
    config = resolve_paths(config)
    output = Path(config.output_dir)
    try:
        plan = check_run(config)
        if config.lora:
            check_lora_run(config)
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(f"cannot train: {error}") from error
    if resumed is None:
        # The shards' manifest is part of the run: resuming onto other tokens is refused.
        manifest = Path(config.tokens_dir) / "manifest.json"
        inputs = (inputs or {}) | {"tokens_manifest_sha256": _sha256(manifest)}
        resumed = claim_run(config, inputs, overwrite)
    config.save(output / "train_config.json")
    _print_plan(config, plan, resumed)

    init_ray(address)
    start = time.perf_counter()
    with ProgressFollower(output, config.max_steps):
        result = _trainer(config, output).fit()
    elapsed = time.perf_counter() - start
    if result.error is not None or result.checkpoint is None:
        raise SystemExit(f"training failed: {result.error}")
    with result.checkpoint.as_directory() as checkpoint_dir:
        if config.lora:  # the adapter, and the base with it merged in
            adapter = output / ADAPTER_SUBDIR
            export_lora_run(Path(checkpoint_dir), config.init_from, output / MODEL_SUBDIR, adapter)
        else:
            export_model(Path(checkpoint_dir), output / MODEL_SUBDIR)
    return _summarise(config, plan, elapsed, output)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def torch_trainer(
    loop, config, output: Path, *, max_failures: int, keep_checkpoints: int, env_vars=None
):
    """Ray Train's ``TorchTrainer`` for a worker ``loop`` and a training config.

    ``config`` is any config with ``num_workers``, ``use_gpu``, ``cpus_per_worker``
    and ``to_dict()``; checkpoints go under ``output/ray_train``, and a failed worker
    group restarts from the last one up to ``max_failures`` times.
    """
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    env = {"OMP_NUM_THREADS": str(config.cpus_per_worker), "TOKENIZERS_PARALLELISM": "false"}
    return TorchTrainer(
        loop,
        train_loop_config=config.to_dict(),
        scaling_config=ScalingConfig(
            num_workers=config.num_workers,
            use_gpu=config.use_gpu,
            resources_per_worker={"CPU": config.cpus_per_worker}
            | ({"GPU": 1} if config.use_gpu else {}),
        ),
        run_config=RunConfig(
            name="ray_train",
            storage_path=str(output),
            failure_config=FailureConfig(max_failures=max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=keep_checkpoints),
            worker_runtime_env={"env_vars": env | (env_vars or {})},
        ),
    )


def _trainer(config: TrainConfig, output: Path):
    from starcoder_model.training.ray_loop import train_loop_per_worker

    return torch_trainer(
        train_loop_per_worker,
        config,
        output,
        max_failures=config.max_failures,
        keep_checkpoints=config.keep_checkpoints,
        env_vars={} if config.use_gpu else {"DS_ACCELERATOR": "cpu"},
    )


def _print_plan(config: TrainConfig, plan: RunPlan, resumed: bool) -> None:
    print(
        f"{'resuming' if resumed else 'training'} {plan.model_source} on "
        f"{config.num_workers} {'GPU' if config.use_gpu else 'CPU'} workers: "
        f"{config.max_steps} steps x {plan.tokens_per_step:,} tokens = "
        f"{plan.total_tokens:,} tokens ({plan.epochs:.2f} epochs of {plan.train_sequences:,} "
        f"sequences), gradient accumulation {plan.accumulation}, ZeRO-{config.zero_stage}, "
        f"{config.precision}; unigram entropy of the data {plan.unigram_entropy:.3f} nats",
        flush=True,
    )


def _summarise(config: TrainConfig, plan: RunPlan, elapsed: float, output: Path) -> TrainingReport:
    records = read_metrics(output)
    plot = plot_loss_curve(
        records,
        output / "loss_curve.png",
        reference=plan.unigram_entropy,
        title=f"{plan.model_source}: loss",
    )
    final = records[-1] if records else {}
    val = [r["val_loss"] for r in records if "val_loss" in r]
    rates = [r["tokens_per_s"] for r in records if "tokens_per_s" in r]
    report = TrainingReport(
        model=str(output / MODEL_SUBDIR),
        steps=final.get("step", 0),
        tokens_seen=final.get("tokens_seen", 0),
        final_loss=final.get("loss"),
        final_val_loss=val[-1] if val else None,
        unigram_entropy=plan.unigram_entropy,
        tokens_per_s=sum(rates) / len(rates) if rates else None,
        wall_s=round(elapsed, 1),
        loss_curve=str(plot),
        tensorboard=str(output / "tensorboard"),
    )
    report.write(output)
    print(report.format())
    return report
