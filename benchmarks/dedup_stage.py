"""The dedup stage on Ray against its own kernel, with the distributed path as the baseline.

    python benchmarks/dedup_stage.py --megabytes 50 --num-cpus 2

Input: Python files of the machine's standard library and site-packages (part
of the embedded default corpus), up to ``--megabytes``, written as Parquet the
way the curation job's first step writes its rows. Each path reads them and
runs ``find_duplicates`` to its drop list on a fresh local Ray:

- ``one_task`` (the default when the signature rows fit
  ``DedupConfig.local_memory_bytes``): MinHash in ``map_batches``, then every
  later step in one task;
- ``distributed`` (the path before, still taken for inputs over the cap):
  group-bys for exact duplicates and buckets, then large/small-star rounds.

Both must drop the same files. The kernel time is ``minhash_signatures``
over the same texts in this process on one core (compiled beforehand):
``ratio_to_kernel`` is the stage's wall time over it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _results import write_result
from near_dedup import _corpus
from starcoder_data.dedup import make_permutations, minhash_signatures
from starcoder_data.dedup.config import DedupConfig

ROOT = Path(__file__).resolve().parents[1]


def _write_input(texts: list[str], folder: Path, files_per_part: int = 2000) -> None:
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "doc_id": pa.array(range(len(texts)), pa.int64()),
            "content_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
            "content": pa.array(texts, pa.large_string()),
            "language": ["python"] * len(texts),
        }
    )
    for part, start in enumerate(range(0, len(texts), files_per_part)):
        pq.write_table(table.slice(start, files_per_part), folder / f"part-{part:04d}.parquet")


def _kernel_seconds(texts: list[str], config: DedupConfig) -> float:
    permutations = make_permutations(config.num_perm, config.seed)
    column = pa.array(texts, pa.large_string())
    minhash_signatures(column.slice(0, 1), permutations, config.ngram)  # compile
    start = time.perf_counter()
    minhash_signatures(column, permutations, config.ngram)
    return time.perf_counter() - start


def _run_path(ray, folder: Path, config: DedupConfig, work: Path) -> tuple[float, set]:
    from starcoder_data.dedup.ray_dedup import find_duplicates

    start = time.perf_counter()
    ds = ray.data.read_parquet(str(folder))
    drops = find_duplicates(ds, config, str(work))
    rows = {(r["doc_id"], r["drop_reason"]) for r in drops.take_all()}
    return time.perf_counter() - start, rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="input size (MB of UTF-8)")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--name", default="dedup_stage", help="results file name")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "ray_jobs"))
    import ray
    from _cluster import init_ray

    config = DedupConfig(scope_column="language")  # as the curation job sets it
    paths = {
        "one_task": config,
        "distributed": replace(config, local_memory_bytes=0),
    }
    texts = _corpus(args.megabytes)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    kernel = _kernel_seconds(texts, config)
    results, decisions = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        _write_input(texts, Path(tmp) / "input")
        init_ray(num_cpus=args.num_cpus)
        for name, path_config in paths.items():
            seconds, decisions[name] = _run_path(
                ray, Path(tmp) / "input", path_config, Path(tmp) / name
            )
            results[name] = {
                "seconds": round(seconds, 2),
                "mb_per_s": round(megabytes / seconds, 2),
                "ratio_to_kernel": round(seconds / kernel, 2),
                "files_dropped": len(decisions[name]),
            }
        ray.shutdown()
    report = {
        "benchmark": "dedup_stage",
        "baseline": "distributed: the group-by and star-round path, on the same input",
        "input": {"files": len(texts), "megabytes": round(megabytes, 2),
                  "num_cpus": args.num_cpus},
        "kernel_seconds_1_core": round(kernel, 2),
        "paths": results,
        "speedup": round(results["distributed"]["seconds"] / results["one_task"]["seconds"], 1),
        "same_decisions": decisions["one_task"] == decisions["distributed"],
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    write_result(args.name, report)
    return report


if __name__ == "__main__":
    main()
