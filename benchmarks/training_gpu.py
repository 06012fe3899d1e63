"""Training tokens/s and MFU of a run preset on one GPU: our DeepSpeed step against plain PyTorch.

Both sides train the model of a ``pretrain.py`` run preset (default
``starcoderbase-1b-gpu``: StarCoderBase-1B's shape, 8K context, ZeRO-2,
gradient checkpointing) on random token ids for ``--warmup`` then ``--steps``
optimizer steps, with the same micro-batch, accumulation, AdamW (torch's,
fused on the GPU), weight-decay groups, clipping and precision. Ours is the
package's engine (``build_engine``: DeepSpeed with the preset's ZeRO stage or
``--zero``) driven by ``train_step``; the baseline is the loop a user writes by
hand. Precision (``--precision``) is the same on both sides:

- ``bf16``: what DeepSpeed's ZeRO-1/2 does with ``bf16`` on: bf16 weights,
  activations and gradients (accumulated in bf16 over the micro-batches),
  fp32 master weights and AdamW state; the baseline keeps the same by hand.
- ``fp32``: fp32 everywhere (TF32 matmuls allowed on both sides).

MFU = tokens/s x training FLOPs per token / the card's dense bf16 peak. Needs a
CUDA GPU. Ray is not involved: these figures are DeepSpeed's step against a
plain loop on one GPU, not a Ray Train run of the preset (whose overhead on
CPUs is what training_overhead.py measures).

    python benchmarks/training_gpu.py --train-preset starcoderbase-1b-gpu --seq-len 8192
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np
import torch
from _results import write_result
from starcoder_model.checkpoints import build_model
from starcoder_model.presets import get_preset
from starcoder_model.sizing import flops_per_token, parameter_count
from starcoder_model.training.config import TrainConfig
from starcoder_model.training.engine import (
    build_engine,
    init_single_process_group,
    optimizer_groups,
)
from starcoder_model.training.loop import TrainState, train_step
from starcoder_model.training.metrics import peak_flops
from starcoder_model.training.presets import PRETRAIN_PRESETS
from starcoder_model.training.sampling import SequenceSampler


class RandomTokens:
    """Token sequences of uniform random ids: throughput does not depend on content."""

    def __init__(self, n: int, seq_len: int, vocab_size: int):
        self.seq_len, self.vocab_size = seq_len, vocab_size
        self._data = np.random.default_rng(0).integers(0, vocab_size, (n, seq_len))
        self.sequences_by_source = {"random": n}

    def batch(self, indices, epochs=None):
        return self._data[np.asarray(indices)]


def timed(step, warmup: int, steps: int, device: torch.device) -> float:
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return time.perf_counter() - start


def ours(config: TrainConfig, data, warmup: int, steps: int, device: torch.device) -> float:
    model = build_model(get_preset(config.preset), seed=0).train()
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    engine = build_engine(model, config, world_size=1)  # casts to bf16 when precision is bf16
    sampler, state = SequenceSampler(data.sequences_by_source), TrainState()

    def step():
        train_step(
            engine,
            data,
            sampler,
            state,
            rank=0,
            world_size=1,
            micro_batch_size=config.micro_batch_size,
            accumulation=config.gradient_accumulation_steps(1),
            seed=0,
        )

    return timed(step, warmup, steps, device)


class MasterWeightsAdamW:
    """AdamW on fp32 copies of a bf16 model's weights, as DeepSpeed's ZeRO-1/2 does in bf16.

    The bf16 gradients (accumulated in bf16 by backward) are cast to the fp32
    masters, clipped there, stepped, and the masters copied back into the model.
    """

    def __init__(self, model, config: TrainConfig, fused: bool):
        groups = optimizer_groups(model, config.optimizer.weight_decay)
        self.pairs = [(p, p.detach().float()) for g in groups for p in g["params"]]
        master = {id(p): m for p, m in self.pairs}
        for group in groups:
            group["params"] = [master[id(p)] for p in group["params"]]
        opt = config.optimizer
        self.optimizer = torch.optim.AdamW(
            groups, lr=opt.lr, betas=opt.betas, eps=opt.eps, fused=fused
        )
        self.grad_clip = opt.grad_clip

    def step(self) -> None:
        for param, master in self.pairs:
            master.grad = param.grad.float()
            param.grad = None
        torch.nn.utils.clip_grad_norm_([m for _, m in self.pairs], self.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            for param, master in self.pairs:
                param.copy_(master)


def plain(config: TrainConfig, data, warmup: int, steps: int, device: torch.device) -> float:
    model = build_model(get_preset(config.preset), seed=0).to(device).train()
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    fused = device.type == "cuda"
    if config.precision == "bf16":
        model = model.to(torch.bfloat16)
        update = MasterWeightsAdamW(model, config, fused).step
    else:
        opt = config.optimizer
        optimizer = torch.optim.AdamW(
            optimizer_groups(model, opt.weight_decay),
            lr=opt.lr,
            betas=opt.betas,
            eps=opt.eps,
            fused=fused,
        )

        def update():
            torch.nn.utils.clip_grad_norm_(model.parameters(), opt.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    sampler, counter = SequenceSampler(data.sequences_by_source), [0]
    accumulation = config.gradient_accumulation_steps(1)

    def step():
        for micro in range(accumulation):
            ids, _ = sampler.micro_batch(
                counter[0], micro, 0, 1, config.micro_batch_size, accumulation
            )
            batch = torch.from_numpy(data.batch(ids)).to(device)
            loss = model(input_ids=batch, labels=batch).loss / accumulation
            loss.backward()
        update()
        counter[0] += 1

    return timed(step, warmup, steps, device)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--train-preset", choices=sorted(PRETRAIN_PRESETS), default="starcoderbase-1b-gpu"
    )
    parser.add_argument("--seq-len", type=int, help="default: the preset's")
    parser.add_argument("--micro-batch", type=int, help="default: the preset's")
    parser.add_argument("--accumulation", type=int, default=4)
    parser.add_argument("--zero", type=int, choices=(0, 1, 2, 3), help="default: the preset's")
    parser.add_argument(
        "--gradient-checkpointing",
        action=argparse.BooleanOptionalAction,
        help="default: the preset's",
    )
    parser.add_argument("--precision", choices=("bf16", "fp32"), default="bf16")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6)
    return parser.parse_args(argv)


def run_config(args: argparse.Namespace) -> TrainConfig:
    """The run preset on one GPU, with the options that override it."""
    preset = PRETRAIN_PRESETS[args.train_preset]
    seq_len = args.seq_len or preset.seq_len
    micro = args.micro_batch or preset.micro_batch_size
    overrides = {"zero_stage": args.zero, "gradient_checkpointing": args.gradient_checkpointing}
    return preset.with_overrides(
        seq_len=seq_len,
        micro_batch_size=micro,
        global_batch_tokens=seq_len * micro * args.accumulation,
        max_steps=10_000,
        precision=args.precision,
        num_workers=1,
        **{k: v for k, v in overrides.items() if v is not None},
    )


def measure(config: TrainConfig, args, device: torch.device) -> dict:
    """Each side's tokens/s, MFU and peak memory (an error on one side keeps the other)."""
    preset = get_preset(config.preset)
    data = RandomTokens(256, config.seq_len, preset.vocab_size)
    per_token = flops_per_token(preset.to_config(), config.seq_len)
    peak = peak_flops(torch.cuda.get_device_name()) if device.type == "cuda" else None
    results = {}
    for side, run in (("plain_pytorch", plain), ("deepspeed_engine", ours)):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        try:
            seconds = run(config, data, args.warmup, args.steps, device)
        except Exception as error:  # report the other side's figures all the same
            results[side] = {"error": f"{type(error).__name__}: {error}"}
            continue
        rate = args.steps * config.global_batch_tokens / seconds
        results[side] = {
            "tokens_per_s": round(rate),
            "mfu": round(rate * per_token / peak, 4) if peak else None,
        }
        if device.type == "cuda":
            results[side]["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return results


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if not torch.cuda.is_available():
        raise SystemExit("this benchmark needs a CUDA GPU")
    torch.backends.cuda.matmul.allow_tf32 = True
    init_single_process_group()
    config = run_config(args)
    results = measure(config, args, torch.device("cuda"))
    name = torch.cuda.get_device_name()
    figures = {
        "benchmark": "training_gpu",
        "device": name,
        "peak_bf16_flops": peak_flops(name),
        "train_preset": args.train_preset,
        "model_preset": config.preset,
        "parameters": parameter_count(get_preset(config.preset).to_config()),
        "seq_len": config.seq_len,
        "micro_batch_size": config.micro_batch_size,
        "accumulation": args.accumulation,
        "global_batch_tokens": config.global_batch_tokens,
        "zero_stage": config.zero_stage,
        "gradient_checkpointing": config.gradient_checkpointing,
        "precision": config.precision,
        "precision_detail": PRECISION[config.precision],
        "ray": "not involved: one process, no Ray Train",
        "baseline": "plain_pytorch",
        **results,
    }
    rates = [results[side].get("tokens_per_s") for side in ("deepspeed_engine", "plain_pytorch")]
    if all(rates):
        figures["ratio"] = round(rates[0] / rates[1], 3)
    print(json.dumps(figures, indent=2))
    write_result("training_gpu", figures)
    return figures


PRECISION = {
    "bf16": "both sides: bf16 weights, activations and gradients (accumulated in bf16), "
    "fp32 master weights and AdamW state",
    "fp32": "both sides: fp32 weights, gradients and AdamW state; TF32 matmuls",
}


if __name__ == "__main__":
    main()
