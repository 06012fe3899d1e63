"""Build the attribution index of a training set: membership filter and full-text search.

    python ray_jobs/build_index.py --data outputs/curated/data --output outputs/attribution
    ray job submit --working-dir . -- python ray_jobs/build_index.py --data ... --output ...

The membership filter (Data Portraits' 50-character n-grams in a Bloom filter)
is hashed and built on Ray Data, per-batch filters merged by OR; the full-text
index (tantivy, BM25) is written by the driver as the files stream past.
Query it with ``python -m starcoder_attribution check --index DIR FILE``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _cluster import init_ray, prepare_output
from starcoder_attribution import (
    INDEX_MEMBERSHIP_FILE,
    INDEX_SEARCH_DIR,
    BloomFilter,
    IndexManifest,
    MembershipConfig,
    NgramConfig,
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="outputs/curated/data", help="curated Parquet folder")
    parser.add_argument("--output", default="outputs/attribution", help="index folder")
    parser.add_argument("--false-positive-rate", type=float, default=0.01, help="per n-gram")
    parser.add_argument("--width", type=int, default=50, help="n-gram characters (50)")
    parser.add_argument("--stride", type=int, default=50, help="indexing stride (50)")
    parser.add_argument("--min-chain", type=int, default=3, help="n-gram hits that make a match")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
    parser.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS or local)")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all)")
    parser.add_argument("--batch-size", type=int, default=256, help="files per hashing batch")
    return parser.parse_args(argv)


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


def run(args: argparse.Namespace) -> dict:
    import ray

    data, output = Path(args.data).resolve(), Path(args.output).resolve()
    config = MembershipConfig(
        ngrams=NgramConfig(width=args.width, stride=args.stride),
        false_positive_rate=args.false_positive_rate,
        min_chain=args.min_chain,
    )
    check_paths(data, output, args.overwrite)
    init_ray(args.address, args.num_cpus)
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
