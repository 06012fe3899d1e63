"""Training overhead, end to end: Ray Train + DeepSpeed against a plain PyTorch loop.

Both sides train the same model preset on the same token shards for the same
number of steps, with the same global batch, data order and FIM draws, AdamW,
clipping and schedule, and do the same work around the steps: every step's
loss logged to a JSON-lines file, a validation loss and a resumable checkpoint
(model and optimizer) where the run's cadence puts them (the tiny preset's:
both at the last step of a short run). The stack does it its way:
``ray.train.report`` every ``report_every`` steps, TensorBoard, the HF model and
DeepSpeed's optimizer shards in every checkpoint. The baseline is one process
using every core (``torch.set_num_threads``); the stack is ``pretrain.py``'s
Ray Train job with ``--workers`` DeepSpeed workers of one core each.

Precision: fp32 weights, activations, gradients and optimizer state on both
sides, the one setting both can run the same way. (DeepSpeed's bf16 keeps bf16
weights and fp32 master copies, which a plain loop matches only by rewriting
DeepSpeed's optimizer; ``torch.autocast`` keeps fp32 weights, which DeepSpeed
does not do.)

Two clocks, the same on both sides:

- ``steps``: wall clock from the start of the first step to the end of the last
  one, with everything the loop does in between (reports, logs, evaluation,
  the checkpoint). The stack's is read on its workers (earliest start, latest
  end); the headline ``overhead`` = 1 - stack tokens/s / baseline tokens/s on it.
- ``job``: the whole job, from before the model is built to the checkpoint: the
  baseline's model build, data opening and loop; the stack's ``run_training``
  call (checks, Ray start, worker start, DeepSpeed set-up, loop, HF export).

Without ``--tokens`` the inputs are built first in a temporary folder by the
jobs ``make tokens`` runs (``curate.py``, ``train_tokenizer.py``,
``pack_tokens.py``, with its arguments: 8,192-token vocabulary, 512-token
sequences), on ``--max-repos`` repositories of this machine's own code.

    python benchmarks/training_overhead.py
    python benchmarks/training_overhead.py --tokens outputs/tokens --tokenizer outputs/tokenizer
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402
from _results import write_result  # noqa: E402
from starcoder_model.training import ray_loop  # noqa: E402
from starcoder_model.training.driver import run_training  # noqa: E402
from starcoder_model.training.presets import tiny  # noqa: E402
from starcoder_model.training.sampling import evaluation_indices  # noqa: E402
from starcoder_model.training.setup import build_sampler, open_run_data  # noqa: E402

STEP_CLOCK = "step_clock_rank{rank}.json"  # each stack worker's wall clock around its steps


def build_inputs(root: Path, max_repos: int) -> tuple[str, str]:
    """Token shards and their tokenizer under ``root``, by the jobs ``make tokens`` runs."""
    data, tokenizer, tokens = root / "curated" / "data", root / "tokenizer", root / "tokens"
    jobs = {
        "curate.py": ["--output", root / "curated", "--max-repos", max_repos],
        "train_tokenizer.py": ["--data", data, "--output", tokenizer, "--vocab-size", 8192]
        + ["--sample-mb", 32, "--no-progress"],
        "pack_tokens.py": ["--data", data, "--tokenizer", tokenizer, "--output", tokens],
    }
    for job, arguments in jobs.items():
        command = [sys.executable, str(ROOT / "ray_jobs" / job), *map(str, arguments)]
        subprocess.run(command, check=True, cwd=ROOT)
    return str(tokens), str(tokenizer)


def plain_pytorch(config, threads: int) -> dict:
    """One process: AdamW, clipping, the schedule, the data and FIM of the stack, no framework."""
    import torch
    from starcoder_model.checkpoints import build_model
    from starcoder_model.presets import get_preset
    from starcoder_model.training.engine import optimizer_groups
    from starcoder_model.training.schedule import build_scheduler

    job_start = time.perf_counter()
    torch.set_num_threads(threads)
    output = Path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    data, val = open_run_data(config)  # the rows training reads: FIM drawn per sample
    model = build_model(get_preset(config.preset), data.vocab_size, seed=config.seed).train()
    opt = config.optimizer
    optimizer = torch.optim.AdamW(
        optimizer_groups(model, opt.weight_decay), lr=opt.lr, betas=opt.betas, eps=opt.eps
    )
    scheduler = build_scheduler(optimizer, opt, config.max_steps)
    sampler = build_sampler(config, data)
    accumulation = config.gradient_accumulation_steps(1)
    log = (output / "metrics.jsonl").open("a")
    steps_start = time.perf_counter()
    for step in range(1, config.max_steps + 1):
        loss = _plain_step(model, data, sampler, step - 1, config.micro_batch_size, accumulation)
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        record = {"step": step, "loss": loss, "lr": scheduler.get_last_lr()[0]}
        last = step == config.max_steps
        if val is not None and (step % config.eval_every == 0 or last):
            record["val_loss"] = _validation_loss(model, val, config)
        log.write(json.dumps(record) + "\n")
        log.flush()
        if step % config.checkpoint_every == 0 or last:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
            state |= {"scheduler": scheduler.state_dict(), "step": step}
            torch.save(state, output / f"checkpoint_{step:08d}.pt")
    end = time.perf_counter()
    log.close()
    return {"steps_s": end - steps_start, "job_s": end - job_start}


def _plain_step(model, data, sampler, step: int, micro_batch_size: int, accumulation: int):
    """The micro-batches of one step, read as the stack reads them; their mean loss."""
    import torch

    losses = []
    for micro in range(accumulation):
        ids, epochs = sampler.micro_batch(step, micro, 0, 1, micro_batch_size, accumulation)
        batch = torch.from_numpy(np.ascontiguousarray(data.batch(ids, epochs), dtype=np.int64))
        loss = model(input_ids=batch, labels=batch).loss
        (loss / accumulation).backward()
        losses.append(loss.item())
    return float(np.mean(losses))


def _validation_loss(model, val, config) -> float:
    """The stack's validation loss (its ``evaluate``), on the same sequences, in one process."""
    from starcoder_model.training.loop import evaluate

    ids = evaluation_indices(len(val), config.eval_sequences, 0, 1)
    return evaluate(model, val, ids, config.micro_batch_size)


def _timed_worker_loop(loop_config: dict) -> None:
    """The package's worker loop, unchanged, with this worker's clock around its steps."""
    from starcoder_model.training import ray_loop as worker

    clock: dict = {}
    step = worker.WorkerRun.step

    def timed_step(run) -> None:
        clock.setdefault("first_step_start", time.time())
        step(run)  # the step and whatever falls due after it: log, report, checkpoint
        clock["last_step_end"], clock["rank"] = time.time(), run.rank

    worker.WorkerRun.step = timed_step
    try:
        worker.train_loop_per_worker(loop_config)
    finally:
        worker.WorkerRun.step = step
    path = Path(loop_config["output_dir"]) / STEP_CLOCK.format(rank=clock["rank"])
    path.write_text(json.dumps(clock))


def full_stack(config) -> dict:
    """The Ray Train + DeepSpeed job, as ``pretrain.py`` runs it, with its workers' step clocks."""
    original = ray_loop.train_loop_per_worker
    ray_loop.train_loop_per_worker = _timed_worker_loop  # the driver looks it up per run
    try:
        start = time.perf_counter()
        run_training(config)
        job = time.perf_counter() - start
    finally:
        ray_loop.train_loop_per_worker = original
    clocks = [json.loads(p.read_text()) for p in Path(config.output_dir).glob("step_clock_*")]
    if len(clocks) != config.num_workers:
        raise SystemExit(f"expected {config.num_workers} worker clocks, found {len(clocks)}")
    first = min(c["first_step_start"] for c in clocks)
    last = max(c["last_step_end"] for c in clocks)
    return {"steps_s": last - first, "job_s": job}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", help="token shards (default: build them, see above)")
    parser.add_argument("--tokenizer", help="their tokenizer (with --tokens)")
    parser.add_argument("--max-repos", type=int, default=150, help="repos to build inputs from")
    parser.add_argument("--preset", default="tiny", help="model preset")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if (args.tokens is None) != (args.tokenizer is None):
        parser.error("give --tokens and --tokenizer together, or neither")

    load_at_start = [round(x, 2) for x in os.getloadavg()]  # other work on the cores skews both
    work = Path(tempfile.mkdtemp(prefix="training-overhead-"))
    try:
        inputs = f"given: {args.tokens}"
        if args.tokens is None:
            args.tokens, args.tokenizer = build_inputs(work / "inputs", args.max_repos)
            inputs = f"built by make tokens' jobs from {args.max_repos} repos of local code"
        figures = measure(args, work) | {"inputs": inputs, "load_average_at_start": load_at_start}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    write_result("training_overhead", figures)
    return figures


def measure(args: argparse.Namespace, work: Path) -> dict:
    """Both sides on the same config; the figures of the results file."""
    config = tiny().with_overrides(
        tokens_dir=args.tokens,
        output_dir=str(work / "stack"),
        preset=args.preset,
        tokenizer_dir=args.tokenizer,
        max_steps=args.steps,
        num_workers=args.workers,
        precision="fp32",
    )
    threads = os.cpu_count() or 1
    baseline = plain_pytorch(config.with_overrides(output_dir=str(work / "baseline")), threads)
    stack = full_stack(config)
    tokens = config.global_batch_tokens * args.steps
    rates = {
        side: {clock: round(tokens / seconds, 1) for clock, seconds in times.items()}
        for side, times in (("baseline", baseline), ("stack", stack))
    }
    return {
        "benchmark": "training_overhead",
        "preset": args.preset,
        "global_batch_tokens": config.global_batch_tokens,
        "seq_len": config.seq_len,
        "steps": args.steps,
        "precision": config.precision,
        "precision_detail": "both sides: fp32 weights, activations, gradients and AdamW state",
        "cadence": {
            "report_every": config.report_every,
            "eval_every": config.eval_every,
            "checkpoint_every": config.checkpoint_every,
            "also_at_last_step": "report, validation loss (where a val split exists), checkpoint",
        },
        "clocks": {
            "steps": "wall clock from the first step's start to the last step's end, "
            "reports, logs, evaluation and checkpoint included",
            "job": "whole job incl. model build (stack: run_training, Ray start and HF export "
            "included)",
        },
        "baseline": f"plain PyTorch loop, 1 process x {threads} threads",
        "stack": f"Ray Train + DeepSpeed ZeRO-{config.zero_stage}, {args.workers} workers x "
        f"{config.cpus_per_worker} thread",
        "baseline_seconds": {k: round(v, 1) for k, v in baseline.items()},
        "stack_seconds": {k: round(v, 1) for k, v in stack.items()},
        "baseline_tokens_per_s": rates["baseline"]["steps_s"],
        "stack_tokens_per_s": rates["stack"]["steps_s"],
        "overhead": round(1 - baseline["steps_s"] / stack["steps_s"], 4),
        "baseline_job_tokens_per_s": rates["baseline"]["job_s"],
        "stack_job_tokens_per_s": rates["stack"]["job_s"],
        "overhead_job": round(1 - baseline["job_s"] / stack["job_s"], 4),
        "target_overhead": 0.10,
        "meets_target": bool(1 - baseline["steps_s"] / stack["steps_s"] <= 0.10),
    }


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
