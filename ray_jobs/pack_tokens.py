"""Tokenize curated files and pack them into token shards for pretraining (StarCoder, section 5.1).

    python ray_jobs/pack_tokens.py --data outputs/curated/data --tokenizer outputs/tokenizer \\
        --output outputs/tokens --seq-len 512
    python ray_jobs/pack_tokens.py --preset full --languages python,c --address auto

Each file gets StarCoder's metadata from its own seeded generator and is
tokenised on Ray Data (the tokenizer parsed once per worker); the documents are
sorted on a seeded key and streamed to the driver, which cuts them into
``seq_len`` sequences per split and source kind. Fill-in-the-middle is not
applied here: training applies it to each packed sample, as StarCoder's
Megatron-LM did (``pretrain.py --set fim_rate=...``). Outputs under --output:
``train/*.npy``, ``val/*.npy`` (with each row's language), ``manifest.json``
and ``held_out/``: the held-out files as curated Parquet, with the identities
of the training files, for ``evaluate.py --tasks perplexity --held-out``. The
same arguments give byte-identical shards on every run, whatever the cluster.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _cluster import init_ray, prepare_output
from starcoder_data.tokens import (
    HELD_OUT_DIR,
    PRESETS,
    PackConfig,
    SpecialIds,
    TokenizerError,
    TokenPacker,
    build_manifest,
    format_summary,
    held_out_rows,
    load_tokenizer,
    token_dtype,
    tokenizer_sha256,
    write_manifest,
)
from starcoder_data.tokens.documents import (
    INPUT_COLUMNS,
    ORDER_KEY_RANGE,
    SORT_KEYS,
    encode_documents,
)
from starcoder_data.tokens.held_out import write_train_files

SORT_PARTITION_BYTES = 256 << 20  # Parquet bytes per sort partition (about 1 GiB of ids)

_OVERRIDES = {  # CLI flag -> PackConfig field
    "seq_len": "seq_len",
    "seed": "seed",
    "metadata_rate": "metadata_rate",
    "val_fraction": "val_fraction",
}


def parse_args(argv: list[str] | None) -> tuple[PackConfig, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="outputs/curated/data", help="curated Parquet folder")
    parser.add_argument("--tokenizer", default="outputs/tokenizer", help="folder of tokenizer.json")
    parser.add_argument("--output", default="outputs/tokens", help="output folder")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--seq-len", type=int, help="tokens per sequence (tiny 512, full 8192)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--metadata-rate", type=float, help="rate of each metadata part (0.2)")
    parser.add_argument("--val-fraction", type=float, help="share of files held out (0.01)")
    parser.add_argument("--languages", help="comma-separated languages (default: all)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
    parser.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS or local)")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all)")
    parser.add_argument("--batch-size", type=int, default=256, help="files per encoder batch")
    args = parser.parse_args(argv)

    config = PRESETS[args.preset]()
    overrides = {field: getattr(args, flag) for flag, field in _OVERRIDES.items()}
    if args.languages:
        overrides["languages"] = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    try:
        config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    except ValueError as error:
        parser.error(str(error))
    return config, args


def input_paths(data: str | Path, languages: tuple[str, ...]) -> list[str]:
    """The Parquet folders to read; a clear error, before any work, when there is nothing."""
    data = Path(data)
    if not data.is_dir():
        raise SystemExit(f"error: no curated data at {data} (run ray_jobs/curate.py first)")
    if not languages:
        if not any(data.rglob("*.parquet")):
            raise SystemExit(f"error: {data} holds no .parquet files")
        return [str(data)]
    available = sorted(p.name.split("=", 1)[1] for p in data.glob("language=*"))
    paths = []
    for language in languages:
        folder = data / f"language={language}"
        if not any(folder.rglob("*.parquet")):
            raise SystemExit(f"error: no {language!r} files in {data} (has: {available})")
        paths.append(str(folder))
    return paths


def encoded_documents(paths: list[str], tokenizer_json: str, config: PackConfig, args):
    """The Ray Data pipeline: read -> encode -> sort into packing order.

    Encoding runs as tasks fused with the reads, each worker process parsing
    the tokenizer once (``encode_documents`` caches it): on a small cluster an
    actor pool would hold CPUs the reads need.
    """
    import ray

    ds = ray.data.read_parquet(paths).select_columns(INPUT_COLUMNS)
    ds.context.execution_options.preserve_order = True  # sorted blocks reach us in order
    ds = ds.map_batches(
        encode_documents,
        fn_kwargs={"tokenizer_json": tokenizer_json, "config": config},
        batch_size=args.batch_size,
        batch_format="pyarrow",
    )
    return ds.sort(SORT_KEYS, boundaries=sort_boundaries(paths))


def sort_boundaries(paths: list[str]) -> list[int]:
    """Even ranges of the uniform order key, one per ~256 MiB of input (at least two).

    Fixed boundaries spare the sort its sampling pass and keep a tiny input
    from being spread over Ray's default 200 partitions.
    """
    size = sum(f.stat().st_size for p in paths for f in Path(p).rglob("*.parquet"))
    partitions = max(2, -(-size // SORT_PARTITION_BYTES))
    return [i * ORDER_KEY_RANGE // partitions for i in range(1, partitions)]


def write_held_out(paths: list[str], config: PackConfig, folder: Path, names, contents) -> dict:
    """The held-out files as curated Parquet, by language, and the training files' identities.

    The held-out share (``--val-fraction``, 1%) is gathered on the driver and
    written sorted on (language, repo, path), so reruns give the same bytes.
    """
    import ray

    write_train_files(folder, names, contents)
    held = ray.data.read_parquet(paths).map_batches(
        held_out_rows, fn_kwargs={"fraction": config.val_fraction}, batch_format="pyarrow"
    )
    batches = [b for b in held.iter_batches(batch_format="pyarrow", batch_size=None) if b.num_rows]
    if not batches:
        return {"dir": HELD_OUT_DIR, "files": 0, "training_files": len(names)}
    table = pa.concat_tables(batches, promote_options="default")
    table = table.sort_by([("language", "ascending"), ("repo", "ascending"), ("path", "ascending")])
    pq.write_to_dataset(
        table, str(folder), partition_cols=["language"], basename_template="part-{i}.parquet"
    )
    return {"dir": HELD_OUT_DIR, "files": table.num_rows, "training_files": len(names)}


def run(config: PackConfig, args: argparse.Namespace) -> dict:
    paths = input_paths(args.data, config.languages)
    try:
        tokenizer = load_tokenizer(args.tokenizer)
        special = SpecialIds.from_tokenizer(tokenizer)
        sha256 = tokenizer_sha256(args.tokenizer)
    except TokenizerError as error:
        raise SystemExit(f"error: {error}") from None
    output = Path(args.output).resolve()
    prepare_output(output, args.overwrite)
    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    dtype = token_dtype(vocab_size)

    init_ray(args.address, args.num_cpus)
    started = time.perf_counter()
    packer = TokenPacker(output, config, dtype)
    for batch in encoded_documents(paths, tokenizer.to_str(), config, args).iter_batches(
        batch_format="pyarrow", batch_size=None
    ):
        packer.add(batch)
    info = {"vocab_size": vocab_size, "tokenizer_sha256": sha256, "special": special}
    splits = packer.finish()
    held_out = write_held_out(paths, config, output / HELD_OUT_DIR, *packer.training_files())
    manifest = build_manifest(config, splits, dtype=dtype, languages=packer.languages, **info)
    manifest["held_out"] = held_out
    write_manifest(output, manifest)
    seconds = time.perf_counter() - started

    print("\n" + format_summary(manifest))
    splits = manifest["splits"].values()
    mb, tokens = sum(s["content_bytes"] for s in splits) / 1e6, sum(s["tokens"] for s in splits)
    rates = f"{mb / seconds:,.2f} MB/s, {tokens / seconds:,.0f} tokens/s"
    print(f"\n{mb:,.1f} MB -> {tokens:,} tokens in {seconds:.1f}s: {rates}")
    print(f"shards and manifest: {output}")
    return manifest


def main(argv: list[str] | None = None) -> int:
    config, args = parse_args(argv)
    run(config, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
