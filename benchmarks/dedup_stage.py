"""The dedup stage on Ray against its own kernel, with the distributed path as the baseline.

    python benchmarks/dedup_stage.py --megabytes 50 --num-cpus 2

Input: Python files of the machine's standard library and site-packages (part
of the embedded default corpus), up to ``--megabytes``, written as Parquet the
way the curation job's first step writes its rows. Each path goes from
those rows to the drop list on a fresh local Ray:

- ``curation_job`` (what ``curate.py`` does while the signature rows fit
  ``DedupConfig.local_memory_bytes``): signature columns added to each batch
  as its last row-wise stage (timed here on one core, batch by batch, as a
  read task would), written to Parquet, then one task reads only those
  columns and decides (``drops_from_parquet``);
- ``one_task``: ``find_duplicates`` on the files (MinHash in ``map_batches``,
  every later step in one task), for datasets without signature columns;
- ``distributed`` (the path for inputs over the cap, and the curation job's
  path before this benchmark): group-bys for exact duplicates and buckets,
  then large/small-star rounds.

All must drop the same files. The kernel time is ``minhash_signatures`` over
the same texts in this process on one core (compiled beforehand):
``ratio_to_kernel`` is a path's wall time over it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from dataclasses import replace
from functools import partial
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


def _run_job_path(ray, folder: Path, config: DedupConfig, work: Path) -> tuple[float, set]:
    from starcoder_data.curation import DEDUP_READ_COLUMNS, live_signature_rows
    from starcoder_data.dedup.local import signature_columns
    from starcoder_data.dedup.ray_dedup import drops_from_parquet

    permutations = make_permutations(config.num_perm, config.seed)
    start = time.perf_counter()
    work.mkdir(parents=True)
    for part in sorted(folder.glob("*.parquet")):
        files = pq.read_table(part)
        files = files.append_column("drop_reason", pa.nulls(files.num_rows, pa.string()))
        live = pa.array([True] * files.num_rows)
        tagged = signature_columns(
            files, live, permutations=permutations, ngram=config.ngram, scope_column="language"
        )
        pq.write_table(tagged.drop_columns(["content"]), work / part.name)
    prepare = partial(live_signature_rows, num_perm=config.num_perm)
    drops = drops_from_parquet(str(work), DEDUP_READ_COLUMNS, prepare, config)
    rows = set(zip(drops["doc_id"].to_pylist(), drops["drop_reason"].to_pylist(), strict=True))
    return time.perf_counter() - start, rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="input size (MB of UTF-8)")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--name", default="dedup_stage", help="results file name")
    parser.add_argument(
        "--one-task-only",
        action="store_true",
        help="skip the distributed baseline (hours on large inputs)",
    )
    args = parser.parse_args(argv)

    import ray
    from starcoder_jobs.ray_runtime import init_ray

    config = DedupConfig(scope_column="language")  # as the curation job sets it
    paths = {"curation_job": config, "one_task": config}
    if not args.one_task_only:
        paths["distributed"] = replace(config, local_memory_bytes=0)
    texts = _corpus(args.megabytes)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    kernel = _kernel_seconds(texts, config)
    results, decisions = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        _write_input(texts, Path(tmp) / "input")
        init_ray(num_cpus=args.num_cpus)
        for name, path_config in paths.items():
            run = _run_job_path if name == "curation_job" else _run_path
            seconds, decisions[name] = run(ray, Path(tmp) / "input", path_config, Path(tmp) / name)
            results[name] = {
                "seconds": round(seconds, 2),
                "mb_per_s": round(megabytes / seconds, 2),
                "ratio_to_kernel": round(seconds / kernel, 2),
                "files_dropped": len(decisions[name]),
            }
        ray.shutdown()
    report = {
        "benchmark": "dedup_stage",
        "baseline": "one_task: find_duplicates from the files' content, on the same input"
        if args.one_task_only
        else "distributed: the group-by and star-round path, on the same input",
        "input": {"files": len(texts), "megabytes": round(megabytes, 2),
                  "num_cpus": args.num_cpus},
        "kernel_seconds_1_core": round(kernel, 2),
        "paths": results,
    }  # fmt: skip
    report["same_decisions"] = all(d == decisions["one_task"] for d in decisions.values())
    if "distributed" in results:
        report["speedup_over_distributed"] = {
            name: round(results["distributed"]["seconds"] / results[name]["seconds"], 1)
            for name in ("curation_job", "one_task")
        }
    print(json.dumps(report, indent=2))
    write_result(args.name, report)
    return report


if __name__ == "__main__":
    main()
