"""LoRA against full fine-tuning, end to end: memory and tokens/s of the same job both ways.

Both runs are ``ray_jobs/finetune.py`` on the same checkpoint (the tiny preset,
freshly initialised and saved with a BPE trained on the same code) and the same
data: a folder of the standard library's own code, curated and packed once by
the LoRA run (``--folder``) and read again by the full run (``--tokens``).
Same steps, batch, data order, FIM draws, precision (fp32) and DeepSpeed ZeRO
stage on 2 Ray Train workers; the full run at the fine-tune preset's lr, LoRA
at its own. Each worker records, after its last step:

- its peak RSS (``getrusage``: the largest resident set the process reached);
- the bytes its optimizer holds (AdamW's moments and ZeRO's fp32 partitions of
  the trainable weights, read from the tensors themselves) and the bytes of
  the trainable weights' gradients (one fp32 value per trainable weight);
- its wall clock from the first step's start to the last step's end.

    python benchmarks/lora_finetune.py
    python benchmarks/lora_finetune.py --steps 40 --zero-stage 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sysconfig
import tempfile
import time
from pathlib import Path

from _results import write_result
from starcoder_data.families import get_family
from starcoder_model.jobs import FinetuneJob
from starcoder_model.training import ray_loop
from starcoder_model.training.config import TrainConfig

from ray_jobs import finetune

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES = ("email", "json", "logging")  # the "own code" folder
WORKER_FIGURES = "lora_benchmark_rank{rank}.json"


def build_inputs(root: Path, vocab_size: int) -> tuple[Path, Path]:
    """A folder of standard-library code and a tiny-preset checkpoint with a BPE trained on it."""
    from starcoder_model import build_model, get_preset, save_model
    from starcoder_model.tokenizer import TokenizerConfig, train_tokenizer

    folder = root / "my-code"
    for package in PACKAGES:
        for path in sorted((STDLIB / package).glob("*.py")):
            target = folder / package / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.py"))]
    tokenizer = train_tokenizer(texts, TokenizerConfig(vocab_size=vocab_size, min_frequency=2))
    model = build_model(get_preset("tiny"), len(tokenizer), seed=0)
    return folder, save_model(model, tokenizer, root / "base")


def optimizer_bytes(engine) -> int:
    """Bytes of the tensors the optimizer keeps: AdamW moments and ZeRO's fp32 partitions."""
    import torch

    inner = getattr(engine.optimizer, "optimizer", engine.optimizer)
    tensors = {}
    for group in inner.param_groups:
        for param in group["params"]:
            tensors[param.data_ptr()] = param
            for value in inner.state.get(param, {}).values():
                if torch.is_tensor(value) and value.numel() > 1:
                    tensors[value.data_ptr()] = value
    return sum(t.numel() * t.element_size() for t in tensors.values())


def _measured_worker_loop(loop_config: dict) -> None:
    """The package's worker loop, unchanged, with this worker's clock and memory around it."""
    from starcoder_model.training import ray_loop as worker

    figures: dict = {}
    step = worker.WorkerRun.step

    def measured_step(run) -> None:
        figures.setdefault("first_step_start", time.time())
        step(run)
        engine = run.engine
        trainable = sum(p.numel() for p in engine.module.parameters() if p.requires_grad)
        figures.update(
            {
                "last_step_end": time.time(),
                "rank": run.rank,
                "optimizer_bytes": optimizer_bytes(engine),
                "gradient_bytes": trainable * 4,  # fp32 gradients of the trainable weights
                "trainable_parameters": trainable,
                "parameters": sum(p.numel() for p in engine.module.parameters()),
            }
        )

    worker.WorkerRun.step = measured_step
    try:
        worker.train_loop_per_worker(loop_config)
    finally:
        worker.WorkerRun.step = step
    figures["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    path = Path(loop_config["output_dir"]) / WORKER_FIGURES.format(rank=figures["rank"])
    path.write_text(json.dumps(figures))


def run_side(job: FinetuneJob, tokens_per_step: int, steps: int) -> dict:
    """One fine-tune job with measured workers; its figures, summed or maxed over workers."""
    original = ray_loop.train_loop_per_worker
    ray_loop.train_loop_per_worker = _measured_worker_loop  # the driver looks it up per run
    try:
        start = time.perf_counter()
        finetune.run(job)
        job_s = time.perf_counter() - start
    finally:
        ray_loop.train_loop_per_worker = original
    workers = [json.loads(p.read_text()) for p in Path(job.output).glob("lora_benchmark_rank*")]
    steps_s = max(w["last_step_end"] for w in workers) - min(w["first_step_start"] for w in workers)
    first = workers[0]
    return {
        "parameters": first["parameters"],
        "trainable_parameters": first["trainable_parameters"],
        "peak_rss_mib_per_worker": round(max(w["peak_rss_bytes"] for w in workers) / 2**20, 1),
        "peak_rss_mib_all_workers": round(sum(w["peak_rss_bytes"] for w in workers) / 2**20, 1),
        "optimizer_mib_all_workers": round(sum(w["optimizer_bytes"] for w in workers) / 2**20, 3),
        "gradient_mib_all_workers": round(sum(w["gradient_bytes"] for w in workers) / 2**20, 3),
        "steps_seconds": round(steps_s, 1),
        "job_seconds": round(job_s, 1),
        "tokens_per_s": round(tokens_per_step * steps / steps_s, 1),
    }


def measure(args: argparse.Namespace, work: Path) -> dict:
    folder, base = build_inputs(work / "inputs", args.vocab_size)
    settings = {
        "max_steps": args.steps,
        "seq_len": args.seq_len,
        "global_batch_tokens": args.batch_tokens,
        "micro_batch_size": 4,
        "precision": "fp32",
        "zero_stage": args.zero_stage,
        "eval_every": args.steps,
        "checkpoint_every": args.steps,
        "report_every": 4,
    }
    common = {"checkpoint": str(base), "overrides": settings}
    lora = FinetuneJob(folder=str(folder), output=str(work / "lora"), lora=True, **common)
    lora_figures = run_side(lora, args.batch_tokens, args.steps)
    full = FinetuneJob(tokens=str(work / "lora" / "tokens"), output=str(work / "full"), **common)
    full_figures = run_side(full, args.batch_tokens, args.steps)
    adapter = work / "lora" / "adapter" / "adapter_model.safetensors"
    model = base / "model.safetensors"

    def ratio(key: str) -> float:
        return round(lora_figures[key] / full_figures[key], 4)

    return {
        "benchmark": "lora_finetune",
        "model": f"tiny preset, {full_figures['parameters']:,} parameters, vocab {args.vocab_size}",
        "data": f"standard-library packages {', '.join(PACKAGES)}, curated and packed",
        "steps": args.steps,
        "global_batch_tokens": args.batch_tokens,
        "seq_len": args.seq_len,
        "precision": "fp32",
        "stack": f"finetune.py on Ray Train, 2 workers x 1 CPU, DeepSpeed ZeRO-{args.zero_stage}",
        "lora_settings": {
            "rank": TrainConfig.lora_rank,
            "alpha": TrainConfig.lora_alpha,
            "dropout": TrainConfig.lora_dropout,
            "targets": list(get_family("starcoder").lora_targets),
        },
        "lora": lora_figures,
        "full": full_figures,
        "lora_over_full": {
            key: ratio(key)
            for key in (
                "peak_rss_mib_all_workers",
                "optimizer_mib_all_workers",
                "gradient_mib_all_workers",
                "tokens_per_s",
            )
        },
        "adapter_mib": round(adapter.stat().st_size / 2**20, 3),
        "model_mib": round(model.stat().st_size / 2**20, 3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--batch-tokens", type=int, default=8192, help="global batch in tokens")
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--zero-stage", type=int, default=2, choices=(2, 3))
    args = parser.parse_args(argv)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="lora-finetune-"))
    try:
        figures = measure(args, work) | {"load_average_at_start": load_at_start}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    write_result("lora_finetune", figures)
    return figures


if __name__ == "__main__":
    main()
