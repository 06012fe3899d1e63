"""Training tokens/s and MFU of a preset on one GPU: our DeepSpeed step against plain PyTorch.

Both sides train the preset (default StarCoderBase-1B's shape, 8K context) on
random token ids for ``--warmup`` then ``--steps`` optimizer steps: ours is the
package's engine (``build_engine``: DeepSpeed, bf16, ZeRO per ``--zero``, torch
AdamW, StarCoder's clipping and schedule) driven by ``train_step``; the
baseline is the loop a user writes by hand (fp32 weights, bf16 autocast, fused
AdamW, the same clipping). MFU = tokens/s x training FLOPs per token / the
card's dense bf16 peak. Needs a CUDA GPU; Ray is not involved (the Ray Train
overhead is measured by training_overhead.py).

    python benchmarks/training_gpu.py --preset starcoderbase-1b --seq-len 8192
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np
import torch
from _results import write_result
from starcoder_model.modeling import build_model
from starcoder_model.presets import get_preset
from starcoder_model.sizing import flops_per_token, parameter_count
from starcoder_model.training.config import TrainConfig
from starcoder_model.training.engine import build_engine, init_single_process_group
from starcoder_model.training.loop import TrainState, train_step
from starcoder_model.training.metrics import peak_flops
from starcoder_model.training.sampling import SequenceSampler


class RandomTokens:
    """Token sequences of uniform random ids: throughput does not depend on content."""

    def __init__(self, n: int, seq_len: int, vocab_size: int):
        self.seq_len, self.vocab_size = seq_len, vocab_size
        self._data = np.random.default_rng(0).integers(0, vocab_size, (n, seq_len))
        self.sequences_by_source = {"random": n}

    def batch(self, indices):
        return self._data[np.asarray(indices)]


def timed(step, warmup: int, steps: int) -> float:
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def ours(config: TrainConfig, data, warmup: int, steps: int) -> float:
    model = build_model(get_preset(config.preset), seed=0).train()
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    engine = build_engine(model, config, world_size=1)
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

    return timed(step, warmup, steps)


def plain(config: TrainConfig, data, warmup: int, steps: int) -> float:
    model = build_model(get_preset(config.preset), seed=0).cuda().train()
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.optimizer.lr,
        betas=config.optimizer.betas,
        weight_decay=0.1,
        fused=True,
    )
    sampler, counter = SequenceSampler(data.sequences_by_source), [0]
    accumulation = config.gradient_accumulation_steps(1)

    def step():
        for micro in range(accumulation):
            ids, _ = sampler.micro_batch(
                counter[0], micro, 0, 1, config.micro_batch_size, accumulation
            )
            batch = torch.from_numpy(data.batch(ids)).cuda()
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = model(input_ids=batch, labels=batch).loss / accumulation
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        counter[0] += 1

    return timed(step, warmup, steps)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="starcoderbase-1b")
    parser.add_argument("--seq-len", type=int, default=8192)
    parser.add_argument("--micro-batch", type=int, default=1)
    parser.add_argument("--accumulation", type=int, default=4)
    parser.add_argument("--zero", type=int, default=1)
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("this benchmark needs a CUDA GPU")
    torch.backends.cuda.matmul.allow_tf32 = True
    init_single_process_group()
    preset = get_preset(args.preset)
    global_tokens = args.seq_len * args.micro_batch * args.accumulation
    config = TrainConfig(
        tokens_dir="-",
        output_dir="-",
        preset=args.preset,
        seq_len=args.seq_len,
        global_batch_tokens=global_tokens,
        micro_batch_size=args.micro_batch,
        max_steps=10_000,
        zero_stage=args.zero,
        precision="bf16",
        num_workers=1,
        use_gpu=True,
        gradient_checkpointing=args.gradient_checkpointing,
    )
    data = RandomTokens(256, args.seq_len, preset.vocab_size)
    model_config = preset.to_config()
    per_token = flops_per_token(model_config, args.seq_len)
    name = torch.cuda.get_device_name()
    peak = peak_flops(name)
    results = {}
    for side, run in (("plain_pytorch", plain), ("deepspeed_engine", ours)):
        torch.cuda.reset_peak_memory_stats()
        try:
            seconds = run(config, data, args.warmup, args.steps)
        except Exception as error:  # report the other side's figures all the same
            results[side] = {"error": f"{type(error).__name__}: {error}"}
            continue
        gc.collect()
        torch.cuda.empty_cache()
        rate = args.steps * global_tokens / seconds
        results[side] = {
            "tokens_per_s": round(rate),
            "mfu": round(rate * per_token / peak, 4) if peak else None,
            "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1),
        }
    figures = {
        "benchmark": "training_gpu",
        "device": name,
        "peak_bf16_flops": peak,
        "preset": args.preset,
        "parameters": parameter_count(model_config),
        "seq_len": args.seq_len,
        "global_batch_tokens": global_tokens,
        "zero_stage": args.zero,
        "gradient_checkpointing": args.gradient_checkpointing,
        "baseline": "plain_pytorch",
        **results,
    }
    rates = [results[side].get("tokens_per_s") for side in ("deepspeed_engine", "plain_pytorch")]
    if all(rates):
        figures["ratio"] = round(rates[0] / rates[1], 3)
    print(json.dumps(figures, indent=2))
    write_result("training_gpu", figures)
    return figures


if __name__ == "__main__":
    main()
