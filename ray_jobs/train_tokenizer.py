"""Train StarCoder's byte-level BPE tokenizer on a sample of the curated data.

    python ray_jobs/train_tokenizer.py --data outputs/curated/data --output outputs/tokenizer
    python ray_jobs/train_tokenizer.py --vocab-size 8192 --sample-mb 32

The driver trains alone: the ``tokenizers`` trainer already uses every core of
one machine, and a sample of tens of MB needs no cluster. Outputs under
--output: ``tokenizer.json``, ``tokenizer_config.json`` and
``special_tokens_map.json`` (load with ``AutoTokenizer.from_pretrained``) and
``tokenizer_report.json`` (sample, times, tokens per byte by language on a
held-out sample).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from starcoder_jobs.config import parse_config
from starcoder_model.jobs import TokenizerJob
from starcoder_model.tokenizer import (
    MB,
    count_tokens,
    save_tokenizer,
    train_tokenizer,
)
from starcoder_model.tokenizer_report import TokenizerReport, tokenizer_report
from starcoder_model.tokenizer_sample import sample_documents


def parse_args(argv: list[str] | None) -> TokenizerJob:
    return parse_config(
        TokenizerJob, argv, __doc__.split("\n\n")[0], check=TokenizerJob.tokenizer_config
    )


def check_data_dir(data: Path) -> None:
    """Refuse a missing or empty data folder before any work."""
    if not data.is_dir():
        raise SystemExit(f"error: no data folder at {data} (run ray_jobs/curate.py first)")
    if next(data.rglob("*.parquet"), None) is None:
        raise SystemExit(f"error: {data} holds no Parquet files (language=<name>/*.parquet)")


def run(job: TokenizerJob) -> TokenizerReport:
    """Train on a sample of ``job.data``, save under ``job.output``; the report."""
    config = job.tokenizer_config()
    data, out = Path(job.data).resolve(), Path(job.output).resolve()
    check_data_dir(data)
    seconds = {}

    print(f"== sample: {config.sample_bytes / MB:.1f} MB to train on, "
          f"{config.eval_bytes / MB:.1f} MB held out, from {data}", flush=True)  # fmt: skip
    started = time.perf_counter()
    sample = sample_documents(
        data,
        sample_bytes=config.sample_bytes,
        eval_bytes=config.eval_bytes,
        seed=config.seed,
        min_language_fraction=config.min_language_fraction,
    )
    seconds["sample"] = time.perf_counter() - started
    texts = sample.train_texts()
    if not texts:
        raise SystemExit(f"error: {data} holds no non-empty documents")

    print(f"== train: vocab {config.vocab_size:,} on {len(texts):,} documents", flush=True)
    started = time.perf_counter()
    tokenizer = train_tokenizer(texts, config, show_progress=not job.no_progress)
    seconds["train"] = time.perf_counter() - started
    save_tokenizer(tokenizer, out)

    print("== tokens per byte on the held-out sample", flush=True)
    started = time.perf_counter()
    counts = count_tokens(tokenizer, sample.eval)
    seconds["encode"] = time.perf_counter() - started

    report = tokenizer_report(
        vocab_size=len(tokenizer),
        config=config,
        sample=sample,
        counts=counts,
        seconds=seconds,
        data=str(data),
    )
    report.write(out)
    print("\n" + report.format())
    print(f"{'tokenizer:':18}{out}\n{'report:':18}{out / report.FILE}")
    return report


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
