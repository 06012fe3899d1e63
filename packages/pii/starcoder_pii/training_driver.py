"""The driver side of the PII trainings (StarEncoder MLM + NSP, then NER) on Ray Train.

Claims the run folder, tokenises the training sample once, fits on Ray Train
(resuming from the last checkpoint) with the progress printed from the
metrics log, and publishes the model in HF format at ``OUTPUT/model``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from starcoder_jobs.ray_runtime import init_ray
from starcoder_model.training.driver import torch_trainer
from starcoder_model.training.progress import ProgressFollower

from .corpus import encode_documents, read_curated_sample
from .encoder import encoder_tokenizer
from .training import MODEL_SUBDIR, PiiTrainConfig

MB = 1 << 20
RUN_FILE = "run.json"
METRICS = "metrics.jsonl"


def claim_output(output: Path, record: dict, overwrite: bool) -> bool:
    """Take ``output`` for this run; True when resuming the same run, refuse another one."""
    run_file = output / RUN_FILE
    if run_file.exists():
        if json.loads(run_file.read_text()) == record:
            return True
        if not overwrite:
            raise SystemExit(f"{output} holds another run; pass --overwrite to replace it")
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(record, indent=2) + "\n")
    return False


def finished_steps(output: Path) -> int:
    """The last step logged in ``metrics.jsonl`` (0 for a new run)."""
    metrics = output / METRICS
    if not metrics.exists():
        return 0
    lines = metrics.read_text().splitlines()
    return json.loads(lines[-1])["step"] if lines else 0


def prepare_documents(
    data: str, tokenizer_dir: str, sample_mb: float, languages: tuple[str, ...], output: Path
) -> Path:
    """Tokenise a deterministic sample of the curated files once; a resumed run reuses it."""
    path = output / "data" / "documents.npz"
    if path.exists():
        return path
    import numpy as np

    rows = read_curated_sample(data, int(sample_mb * MB), languages=languages)
    arrays = encode_documents(encoder_tokenizer(tokenizer_dir), [r["content"] for r in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    print(f"{len(rows):,} files, {len(arrays['ids']):,} tokens -> {path}", flush=True)
    return path


def run_training(config: PiiTrainConfig, address: str | None = None) -> Path:
    """Fit ``config`` on Ray Train (resuming if checkpoints exist); publish ``OUTPUT/model``."""
    from .ray_loop import train_loop_per_worker

    output = Path(config.output_dir)
    if finished_steps(output) >= config.max_steps and (output / MODEL_SUBDIR).is_dir():
        print(f"{output / MODEL_SUBDIR} is already trained to step {config.max_steps}")
        return output / MODEL_SUBDIR
    init_ray(address)
    # A crashed worker group restarts from the last checkpoint.
    trainer = torch_trainer(
        train_loop_per_worker, config, output, max_failures=2, keep_checkpoints=2
    )
    started = time.perf_counter()
    with ProgressFollower(output, config.max_steps, every_record=True):
        result = trainer.fit()
    if result.error is not None or result.checkpoint is None:
        raise SystemExit(f"training failed: {result.error}")
    target = output / MODEL_SUBDIR
    with result.checkpoint.as_directory() as directory:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(directory) / MODEL_SUBDIR, target)
    print(f"trained {config.max_steps} steps in {time.perf_counter() - started:.1f}s -> {target}")
    return target


__all__ = ["claim_output", "finished_steps", "prepare_documents", "run_training"]
