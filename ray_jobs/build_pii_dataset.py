"""Build the labelled PII set: real curated files with injected PII and hard negatives.

    python ray_jobs/build_pii_dataset.py --data outputs/curated/data --output outputs/pii_dataset

Writes ``OUTPUT/files.parquet`` (one row per file: text, split, gold spans)
and ``OUTPUT/stats.json``. Train and test files come from disjoint repos;
the hosts' own names, handles, emails and addresses are pseudo-labelled by the
rules, and hosts in which the rules find a key or password are skipped (see
``starcoder_pii.dataset.pseudo``). Runs on the driver: it takes seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from starcoder_jobs.config import parse_config
from starcoder_pii.corpus import read_curated_sample
from starcoder_pii.dataset import (
    InjectionConfig,
    PseudoLabeller,
    build_labelled_files,
    dataset_stats,
    write_labelled,
)
from starcoder_pii.jobs import PiiDatasetJob

MB = 1 << 20
FILES = "files.parquet"


def run(job: PiiDatasetJob) -> dict:
    """Write the labelled files and their statistics under ``job.output``; the statistics."""
    config = InjectionConfig(seed=job.seed, test_fraction=job.test_fraction)
    rows = read_curated_sample(job.data, int(job.sample_mb * MB), seed=job.seed)
    files = build_labelled_files(rows[: job.max_files], config, pseudo_label=PseudoLabeller())
    output = Path(job.output)
    path = write_labelled(files, output / FILES)
    stats = {"hosts_read": len(rows), **dataset_stats(files)}
    (output / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    print(json.dumps(stats, indent=2))
    print(f"labelled files: {path}")
    return stats


def parse_args(argv: list[str] | None) -> PiiDatasetJob:
    return parse_config(PiiDatasetJob, argv, __doc__.split("\n\n")[0])


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
