"""Pretrain StarEncoder (MLM + NSP) on curated code with Ray Train (StarCoder, section 4.2).

    python ray_jobs/train_starencoder.py --data outputs/curated/data \\
        --tokenizer outputs/tokenizer --output outputs/starencoder --preset tiny --set max_steps=500
    python ray_jobs/train_starencoder.py --preset starencoder-125m --set num_workers=8 \\
        --set use_gpu=true --address auto

A deterministic sample of the curated files (``--sample-mb``) is tokenised
with the project's tokenizer plus [CLS]/[SEP]/[MASK]/[PAD] into
``OUTPUT/data/documents.npz``; Ray Train workers draw MLM + NSP batches from
it. Checkpoints go under ``OUTPUT/ray_train`` every ``checkpoint_every``
steps; rerunning the same command resumes from the latest one. The final
encoder is published in HF format at ``OUTPUT/model``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

from _cluster import init_ray
from _training import add_overrides_argument, parse_field_overrides, torch_trainer
from starcoder_pii.corpus import encode_documents, read_curated_sample
from starcoder_pii.encoder import encoder_tokenizer
from starcoder_pii.training import MLM, MODEL_SUBDIR, PiiTrainConfig

MB = 1 << 20
RUN_FILE = "run.json"


def parse_overrides(pairs: list[str]) -> dict:
    """``FIELD=VALUE`` pairs into typed :class:`PiiTrainConfig` overrides."""
    known = {f.name for f in dataclasses.fields(PiiTrainConfig)} - {"task", "data", "output_dir"}
    return parse_field_overrides(pairs, known)


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


def run_training(config: PiiTrainConfig, address: str | None = None) -> Path:
    """Fit ``config`` on Ray Train (resuming if checkpoints exist); publish ``OUTPUT/model``."""
    from starcoder_pii.ray_loop import train_loop_per_worker

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
    result = trainer.fit()
    if result.error is not None or result.checkpoint is None:
        raise SystemExit(f"training failed: {result.error}")
    target = output / MODEL_SUBDIR
    with result.checkpoint.as_directory() as directory:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(directory) / MODEL_SUBDIR, target)
    print(f"trained {config.max_steps} steps in {time.perf_counter() - started:.1f}s -> {target}")
    return target


def finished_steps(output: Path) -> int:
    """The last step logged in ``metrics.jsonl`` (0 for a new run)."""
    metrics = output / "metrics.jsonl"
    if not metrics.exists():
        return 0
    lines = metrics.read_text().splitlines()
    return json.loads(lines[-1])["step"] if lines else 0


def prepare_documents(args, output: Path) -> Path:
    """Tokenise the curated sample once; a resumed run reuses the file."""
    path = output / "data" / "documents.npz"
    if path.exists():
        return path
    import numpy as np

    rows = read_curated_sample(args.data, int(args.sample_mb * MB), languages=args.languages)
    tokenizer = encoder_tokenizer(args.tokenizer)
    arrays = encode_documents(tokenizer, [r["content"] for r in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    print(f"{len(rows):,} files, {len(arrays['ids']):,} tokens -> {path}", flush=True)
    return path


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="outputs/curated/data", help="curated Parquet folder")
    parser.add_argument("--tokenizer", default="outputs/tokenizer", help="project tokenizer")
    parser.add_argument("--output", default="outputs/starencoder", help="run directory")
    parser.add_argument("--preset", default="tiny", help="tiny, starencoder-125m or micro")
    parser.add_argument("--sample-mb", type=float, default=16.0, help="MB of code to train on")
    parser.add_argument("--languages", type=lambda s: tuple(s.split(",")), default=())
    add_overrides_argument(parser, "override a PiiTrainConfig field (repeatable)")
    parser.add_argument("--address", default=None, help="Ray cluster address")
    parser.add_argument("--overwrite", action="store_true", help="replace another run in --output")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = Path(args.output).resolve()
    # The tiny CPU run (docs/pii.md): its MLM loss flattens after ~300 steps, and the
    # time is better spent on the NER fine-tuning. StarEncoder: seq_len 1024, larger batches.
    defaults = {"seq_len": 256, "max_steps": 300, "batch_size": 8, "lr": 1e-3, "warmup_steps": 50}
    fields = defaults | {"preset": args.preset} | parse_overrides(args.overrides)
    record = {
        "job": "train_starencoder",
        "data": str(Path(args.data).resolve()),
        "sample_mb": args.sample_mb,
        "languages": list(args.languages),
        **fields,
    }
    resumed = claim_output(output, record, args.overwrite)
    documents = prepare_documents(args, output)
    config = PiiTrainConfig(
        task=MLM,
        data=str(documents),
        tokenizer_dir=str(Path(args.tokenizer).resolve()),
        output_dir=str(output),
        **fields,
    )
    print(
        f"{'resuming' if resumed else 'training'} StarEncoder {config.preset}: "
        f"{config.max_steps} steps x {config.batch_size} x {config.seq_len} tokens",
        flush=True,
    )
    run_training(config, args.address)
    return 0


if __name__ == "__main__":
    sys.exit(main())
