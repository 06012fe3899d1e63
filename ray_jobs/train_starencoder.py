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

import sys
from pathlib import Path

from starcoder_jobs.config import parse_config
from starcoder_pii.jobs import StarEncoderJob, training_overrides
from starcoder_pii.training import MLM, PiiTrainConfig
from starcoder_pii.training_driver import claim_output, prepare_documents, run_training

# The tiny CPU run (docs/pii.md): its MLM loss flattens after ~300 steps, and the time is
# better spent on the NER fine-tuning. StarEncoder: seq_len 1024, larger batches.
CPU_DEFAULTS = {"seq_len": 256, "max_steps": 300, "batch_size": 8, "lr": 1e-3, "warmup_steps": 50}


def run(job: StarEncoderJob) -> Path:
    """Train the encoder (resuming a run left in ``job.output``); the published model folder."""
    output = Path(job.output).resolve()
    fields = CPU_DEFAULTS | {"preset": job.preset} | training_overrides(job.overrides)
    record = {
        "job": "train_starencoder",
        "data": str(Path(job.data).resolve()),
        "sample_mb": job.sample_mb,
        "languages": list(job.language_list()),
        **fields,
    }
    resumed = claim_output(output, record, job.overwrite)
    documents = prepare_documents(
        job.data, job.tokenizer, job.sample_mb, job.language_list(), output
    )
    config = PiiTrainConfig(
        task=MLM,
        data=str(documents),
        tokenizer_dir=str(Path(job.tokenizer).resolve()),
        output_dir=str(output),
        **fields,
    )
    print(
        f"{'resuming' if resumed else 'training'} StarEncoder {config.preset}: "
        f"{config.max_steps} steps x {config.batch_size} x {config.seq_len} tokens",
        flush=True,
    )
    return run_training(config, job.address)


def parse_args(argv: list[str] | None) -> StarEncoderJob:
    return parse_config(StarEncoderJob, argv, __doc__.split("\n\n")[0], check=StarEncoderJob.check)


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
