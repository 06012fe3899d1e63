"""The driver side of training, shared by pretrain.py and finetune.py.

Checks the run before any worker starts, runs Ray Train's ``TorchTrainer``
with the package's worker loop, then publishes the final checkpoint as an HF
model directory with the loss curve and a summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from _cluster import init_ray
from starcoder_data.run_dir import RunConflictError, RunDirectory
from starcoder_model.training.config import OptimizerConfig, TrainConfig
from starcoder_model.training.loop import export_model
from starcoder_model.training.metrics import plot_loss_curve, read_metrics
from starcoder_model.training.setup import RunPlan, check_run

MODEL_SUBDIR = "model"  # the published HF checkpoint of a finished run
SUMMARY_FILE = "summary.json"


def add_overrides_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """``--set FIELD=VALUE`` (repeatable) into ``args.overrides``."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE", help=help
    )


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", default=None, help="run directory")
    parser.add_argument("--tokens", default=None, help="token shards (pack_tokens.py output)")
    add_overrides_argument(
        parser,
        "override a TrainConfig field, e.g. --set max_steps=500 "
        "--set lr=1e-3 --set zero_stage=3 (repeatable)",
    )
    parser.add_argument(
        "--language-weights",
        default=None,
        help="JSON file of language -> sampling weight (each language's share of the draws); "
        "languages it does not name are not sampled",
    )
    parser.add_argument("--address", default=None, help="Ray cluster address")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="start over in an output directory that holds another run",
    )


def parse_overrides(pairs: list[str], language_weights: str | None = None) -> dict[str, Any]:
    """``--set`` pairs (and ``--language-weights``) into :class:`TrainConfig` overrides."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    known |= {f.name for f in dataclasses.fields(OptimizerConfig)}
    overrides = parse_field_overrides(pairs, known - {"optimizer"})
    if language_weights is not None:
        overrides["language_weights"] = str(Path(language_weights).resolve())
    return overrides


def parse_field_overrides(pairs: list[str], known: set[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` strings to typed values (JSON where it parses, else a string)."""
    overrides = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or name not in known:
            raise SystemExit(
                f"--set {pair!r}: expected FIELD=VALUE with FIELD one of {sorted(known)}"
            )
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name] = raw
    return overrides


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
) -> dict:
    """Train ``config`` to its last step (resuming a run left in its output) and publish it.

    ``resumed`` is given by a caller that took the run directory already (with
    the inputs it made the token shards from), as finetune.py does before
    packing into it; otherwise the run directory is claimed here.
    """
    config = resolve_paths(config)
    output = Path(config.output_dir)
    try:
        plan = check_run(config)
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
    result = _trainer(config, output).fit()
    elapsed = time.perf_counter() - start
    if result.error is not None or result.checkpoint is None:
        raise SystemExit(f"training failed: {result.error}")
    with result.checkpoint.as_directory() as checkpoint_dir:
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


def _summarise(config: TrainConfig, plan: RunPlan, elapsed: float, output: Path) -> dict:
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
    summary = {
        "model": str(output / MODEL_SUBDIR),
        "steps": final.get("step", 0),
        "tokens_seen": final.get("tokens_seen", 0),
        "final_loss": final.get("loss"),
        "final_val_loss": val[-1] if val else None,
        "unigram_entropy": plan.unigram_entropy,
        "tokens_per_s": sum(rates) / len(rates) if rates else None,
        "wall_s": round(elapsed, 1),
        "loss_curve": str(plot),
        "tensorboard": str(output / "tensorboard"),
    }
    (output / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    print(format_summary(summary))
    return summary


def format_summary(summary: dict) -> str:
    rows = [(key.replace("_", " "), value) for key, value in summary.items()]
    width = max(len(k) for k, _ in rows)
    lines = ["", "training summary", "-" * (width + 40)]
    for key, value in rows:
        shown = f"{value:,.4f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:<{width}}  {shown}")
    return "\n".join(lines)


def default_output(name: str) -> str:
    return os.path.join("outputs", name)
