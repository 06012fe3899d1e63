"""Build the attribution index of a training set: membership filter and full-text search.

    python ray_jobs/build_index.py --data outputs/curated/data --output outputs/attribution
    ray job submit --working-dir . -- python ray_jobs/build_index.py --data ... --output ...

The membership filter (Data Portraits' 50-character n-grams in a Bloom filter)
is hashed and built on Ray Data, per-batch filters merged by OR; the full-text
index (tantivy, BM25) is written by the driver as the files stream past.
Query it with ``python -m starcoder_attribution check --index DIR FILE``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from starcoder_attribution import (
    INDEX_MEMBERSHIP_FILE,
    INDEX_SEARCH_DIR,
    BloomFilter,
    IndexManifest,
    MembershipConfig,
    TantivySearch,
    filter_size,
    write_index_manifest,
)
from starcoder_attribution.build import (
    INPUT_COLUMNS,
    distinct_sketch,
    hash_files,
    merge_partial,
    merge_sketches,
    partial_filter,
    source_files,
)
from starcoder_attribution.distinct import PRECISION as DISTINCT_PRECISION
from starcoder_attribution.distinct import estimate_distinct
from starcoder_attribution.jobs import IndexJob
from starcoder_jobs.config import parse_config
from starcoder_jobs.ray_runtime import init_ray, prepare_output


def parse_args(argv: list[str] | None) -> IndexJob:
    return parse_config(IndexJob, argv, __doc__.split("\n\n")[0], check=IndexJob.membership)


def check_paths(data: Path, output: Path, overwrite: bool) -> None:
    if not data.is_dir() or not any(data.rglob("*.parquet")):
        raise SystemExit(f"error: no Parquet files under {data} (run ray_jobs/curate.py first)")
    prepare_output(output, overwrite)


def build_membership(ds, config: MembershipConfig, num_cpus: int) -> tuple[BloomFilter, int]:
    hashes = ds.map_batches(
        hash_files,
        fn_kwargs={"config": config.ngrams},
        batch_size=None,
        batch_format="pyarrow",
    ).materialize()
    items = hashes.count()
    # A few large batches: each becomes one sketch and one partial filter of the full size.
    rows_per_partial = max(1, -(-items // (2 * num_cpus)))
    registers = np.zeros(1 << DISTINCT_PRECISION, dtype=np.int8)
    sketches = hashes.map_batches(
        distinct_sketch, batch_size=rows_per_partial, batch_format="pyarrow"
    )
    for batch in sketches.iter_batches(batch_format="pyarrow", batch_size=None):
        merge_sketches(registers, batch)
    distinct = estimate_distinct(registers)
    size = filter_size(distinct, config)
    bloom = BloomFilter.empty(size)
    partials = hashes.map_batches(
        partial_filter,
        fn_kwargs={"size": size},
        batch_size=rows_per_partial,
        batch_format="pyarrow",
    )
    for batch in partials.iter_batches(batch_format="pyarrow", batch_size=None):
        merge_partial(bloom, batch)
    return bloom, distinct


def build_search(ds, directory: Path, files: int) -> int:
    from tqdm import tqdm

    index = TantivySearch.create(directory, threads=2)
    text_bytes = 0
    with tqdm(total=files, unit="file", desc="search index") as progress:
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=512):
            rows = list(source_files(batch))
            index.add(rows)
            text_bytes += sum(len(row.content.encode("utf-8")) for row in rows)
            progress.update(len(rows))
    index.commit()
    return text_bytes


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run(job: IndexJob) -> dict:
    """Index ``job.data`` under ``job.output``; the summary (the manifest is written last)."""
    import ray

    data, output = Path(job.data).resolve(), Path(job.output).resolve()
    config = job.membership()
    check_paths(data, output, job.overwrite)
    init_ray(job.address, job.num_cpus)
    num_cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    ds = ray.data.read_parquet(str(data)).select_columns(INPUT_COLUMNS)
    files = ds.count()

    started = time.perf_counter()
    bloom, distinct = build_membership(ds.repartition(2 * num_cpus), config, num_cpus)
    bloom.save(output / INDEX_MEMBERSHIP_FILE)
    membership_seconds = time.perf_counter() - started
    text_bytes = build_search(ds, output / INDEX_SEARCH_DIR, files)
    seconds = time.perf_counter() - started

    manifest = IndexManifest(
        membership=config,
        files=files,
        ngrams=bloom.items,
        distinct_ngrams=distinct,
        text_bytes=text_bytes,
        sources=[str(data)],
    )
    write_index_manifest(output, manifest)  # last: an interrupted build has no manifest
    summary = {
        "files": files,
        "text_mb": text_bytes / 1e6,
        "ngrams": bloom.items,
        "distinct_ngrams": distinct,
        "filter_mb": bloom.size.num_bits / 8e6,
        "hash_functions": bloom.size.num_hashes,
        "expected_false_positive_rate": bloom.expected_false_positive_rate(),
        "search_index_mb": folder_bytes(output / INDEX_SEARCH_DIR) / 1e6,
        "membership_seconds": membership_seconds,
        "seconds": seconds,
        "mb_per_s": text_bytes / 1e6 / seconds,
    }
    print_summary(summary, output)
    return summary


def print_summary(summary: dict, output: Path) -> None:
    rows = [
        ("files", f"{summary['files']:,}"),
        ("text", f"{summary['text_mb']:,.1f} MB"),
        ("n-grams indexed", f"{summary['ngrams']:,} ({summary['distinct_ngrams']:,} distinct)"),
        (
            "membership filter",
            f"{summary['filter_mb']:,.1f} MB, {summary['hash_functions']} hashes",
        ),
        ("expected false positives", f"{summary['expected_false_positive_rate']:.4f} per n-gram"),
        ("search index", f"{summary['search_index_mb']:,.1f} MB"),
        ("time", f"{summary['seconds']:.1f} s ({summary['mb_per_s']:.2f} MB/s)"),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"\nindex: {output}")


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
