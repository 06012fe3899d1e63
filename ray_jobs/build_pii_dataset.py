"""Build the labelled PII set: real curated files with injected PII and hard negatives.

    python ray_jobs/build_pii_dataset.py --data outputs/curated/data --output outputs/pii_dataset

Writes ``OUTPUT/files.parquet`` (one row per file: text, split, gold spans)
and ``OUTPUT/stats.json``. Train and test files come from disjoint repos;
hosts in which the baseline already finds PII are skipped (see
``starcoder_pii.dataset.inject``). Runs on the driver: it takes seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from starcoder_pii.corpus import read_curated_sample
from starcoder_pii.dataset import (
    InjectionConfig,
    build_labelled_files,
    dataset_stats,
    write_labelled,
)
from starcoder_pii.detectors import BaselineDetector

MB = 1 << 20
FILES = "files.parquet"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="outputs/curated/data", help="curated Parquet folder")
    parser.add_argument("--output", default="outputs/pii_dataset", help="output folder")
    # 30 MB / 3,000: the set the figures in docs/pii.md were measured on.
    parser.add_argument("--sample-mb", type=float, default=30.0, help="MB of host files to read")
    parser.add_argument("--max-files", type=int, default=3000, help="at most this many examples")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="share of repos held out")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = InjectionConfig(seed=args.seed, test_fraction=args.test_fraction)
    rows = read_curated_sample(args.data, int(args.sample_mb * MB), seed=args.seed)
    baseline = BaselineDetector()
    files = build_labelled_files(
        rows[: args.max_files], config, host_is_clean=lambda text, path: not baseline(text, path)
    )
    output = Path(args.output)
    path = write_labelled(files, output / FILES)
    stats = {"hosts_read": len(rows), **dataset_stats(files)}
    (output / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    print(json.dumps(stats, indent=2))
    print(f"labelled files: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
