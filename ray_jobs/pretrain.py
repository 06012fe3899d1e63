"""Pretrain a StarCoder-architecture model on packed token shards (Ray Train + DeepSpeed).

    python ray_jobs/pretrain.py                                      # tiny preset, 2 CPU workers
    python ray_jobs/pretrain.py --set max_steps=1000 --set zero_stage=2
    ray job submit --working-dir . -- python ray_jobs/pretrain.py \\
        --preset starcoderbase-1b-gpu --tokens /shared/tokens --output /shared/runs/1b

Outputs under --output: ``model/`` (HF checkpoint with tokenizer), ``metrics.jsonl``,
``tensorboard/``, ``loss_curve.png``, ``summary.json`` and ``ray_train/`` (the
checkpoints a rerun or a restarted worker resumes from).
"""

from __future__ import annotations

import argparse
import sys

from _training import add_common_arguments, default_output, parse_overrides, run_training
from starcoder_model.training.presets import PRETRAIN_PRESETS


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="tiny", choices=sorted(PRETRAIN_PRESETS))
    parser.add_argument(
        "--tokenizer", default="outputs/tokenizer", help="the tokenizer the shards were packed with"
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    config = PRETRAIN_PRESETS[args.preset](
        args.tokens or default_output("tokens"), args.output or default_output("pretrain")
    ).with_overrides(
        tokenizer_dir=args.tokenizer, **parse_overrides(args.overrides, args.language_weights)
    )
    return run_training(config, address=args.address, overwrite=args.overwrite)


if __name__ == "__main__":
    main(sys.argv[1:])
