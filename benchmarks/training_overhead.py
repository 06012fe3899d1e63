"""Training throughput: the full stack (Ray Train + DeepSpeed) against a plain PyTorch loop.

Both train the same model preset on the same token shards with the same global
batch, optimizer, schedule and precision (``--precision bf16``: DeepSpeed's bf16
against ``torch.autocast`` in the baseline). The baseline is one process using every core
(``torch.set_num_threads``), the loop a user writes without any framework; the
stack is ``pretrain.py``'s Ray Train job with ``--workers`` DeepSpeed workers of
one core each. Throughput is tokens/s over the steps after a warm-up, as each
side measures it; overhead = 1 - stack / baseline.

    python benchmarks/training_overhead.py --tokens outputs/tokens --tokenizer outputs/tokenizer
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ray_jobs"))

import numpy as np  # noqa: E402
from _results import write_result
from starcoder_model.training.metrics import read_metrics  # noqa: E402
from starcoder_model.training.presets import tiny  # noqa: E402
from starcoder_model.training.sampling import SequenceSampler  # noqa: E402
from starcoder_model.training.setup import open_run_data  # noqa: E402


def plain_pytorch(config, steps: int, warmup: int, threads: int) -> float:
    """Tokens/s of a single-process loop: AdamW, clipping, the same schedule, data and FIM."""
    import torch
    from starcoder_model.modeling import build_model
    from starcoder_model.presets import get_preset
    from starcoder_model.training.engine import optimizer_groups
    from starcoder_model.training.schedule import build_scheduler

    torch.set_num_threads(threads)
    data, _ = open_run_data(config)  # the rows training reads: FIM drawn per sample
    model = build_model(get_preset(config.preset), data.vocab_size, seed=config.seed).train()
    opt = config.optimizer
    optimizer = torch.optim.AdamW(
        optimizer_groups(model, opt.weight_decay), lr=opt.lr, betas=opt.betas, eps=opt.eps
    )
    scheduler = build_scheduler(optimizer, opt, config.max_steps)
    sampler = SequenceSampler(data.sequences_by_source, config.seed)
    accumulation = config.gradient_accumulation_steps(1)
    start = None
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        for micro in range(accumulation):
            where = (step, micro, 0, 1, config.micro_batch_size, accumulation)
            ids, epochs = sampler.micro_batch(*where)
            batch = torch.from_numpy(data.batch(ids, epochs))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.precision == "bf16"):
                loss = model(input_ids=batch, labels=batch).loss / accumulation
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    return steps * config.global_batch_tokens / (time.perf_counter() - start)


def full_stack(config, steps: int, warmup: int) -> tuple[float, float]:
    """Tokens/s of the Ray Train + DeepSpeed job, from its own per-window figures."""
    from _training import run_training

    start = time.perf_counter()
    run_training(config)
    wall = time.perf_counter() - start
    records = [r for r in read_metrics(Path(config.output_dir)) if "tokens_per_s" in r]
    timed = [r for r in records if r["step"] > warmup]
    window_tokens = config.global_batch_tokens * config.report_every
    seconds = sum(window_tokens / r["tokens_per_s"] for r in timed)
    return window_tokens * len(timed) / seconds, wall


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", default="outputs/tokens")
    parser.add_argument("--tokenizer", default="outputs/tokenizer")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="bf16: DeepSpeed bf16 against torch.autocast in the baseline",
    )
    args = parser.parse_args(argv)

    output = tempfile.mkdtemp(prefix="training-overhead-")
    total = args.warmup + args.steps
    config = tiny(args.tokens, output).with_overrides(
        preset=args.preset,
        tokenizer_dir=args.tokenizer,
        max_steps=total,
        num_workers=args.workers,
        report_every=args.warmup,
        eval_every=10**9,
        checkpoint_every=10**9,
        precision=args.precision,
    )
    threads = os.cpu_count() or 1
    baseline = plain_pytorch(config, args.steps, args.warmup, threads)
    stack, wall = full_stack(config, args.steps, args.warmup)
    figures = {
        "benchmark": "training_overhead",
        "preset": args.preset,
        "global_batch_tokens": config.global_batch_tokens,
        "seq_len": config.seq_len,
        "timed_steps": args.steps,
        "precision": args.precision,
        "baseline": f"plain PyTorch loop, 1 process x {threads} threads",
        "baseline_tokens_per_s": round(baseline, 1),
        "stack": f"Ray Train + DeepSpeed ZeRO-{config.zero_stage}, {args.workers} workers x "
        f"{config.cpus_per_worker} thread",
        "stack_tokens_per_s": round(stack, 1),
        "overhead": round(1 - stack / baseline, 4),
        "stack_wall_s_including_startup": round(wall, 1),
        "target_overhead": 0.10,
    }
    figures["meets_target"] = bool(figures["overhead"] <= 0.10)
    print(json.dumps(figures, indent=2))
    write_result("training_overhead", figures)
    return figures


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
