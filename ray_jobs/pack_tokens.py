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

import sys
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from starcoder_data.jobs import PackTokensJob
from starcoder_data.tokens import (
    HELD_OUT_DIR,
    PRESETS,
    PackConfig,
    TokenizerError,
    TokenPacker,
    build_manifest,
    format_summary,
    held_out_rows,
    load_tokenizer_json,
    special_ids_for,
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
from starcoder_jobs.config import parse_config
from starcoder_jobs.ray_runtime import init_ray, prepare_output

SORT_PARTITION_BYTES = 256 << 20  # Parquet bytes per sort partition (about 1 GiB of ids)


def packing(job: PackTokensJob) -> PackConfig:
    """The packing preset with the job's overrides (``ValueError`` for an invalid value)."""
    overrides = {
        "seq_len": job.seq_len,
        "seed": job.seed,
        "metadata_rate": job.metadata_rate,
        "val_fraction": job.val_fraction,
        "languages": job.language_list() or None,
    }
    return replace(PRESETS[job.preset], **{k: v for k, v in overrides.items() if v is not None})


def parse_args(argv: list[str] | None) -> PackTokensJob:
    return parse_config(PackTokensJob, argv, __doc__.split("\n\n")[0], check=packing)


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


def encoded_documents(
    paths: list[str], tokenizer_json: str, config: PackConfig, batch_size: int, special=None
):
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
        fn_kwargs={"tokenizer_json": tokenizer_json, "config": config, "special": special},
        batch_size=batch_size,
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


def run(job: PackTokensJob) -> dict:
    """Encode and pack ``job.data`` into shards under ``job.output``; the manifest."""
    config = packing(job)
    paths = input_paths(job.data, config.languages)
    try:
        tokenizer = load_tokenizer_json(job.tokenizer)
        special = special_ids_for(job.tokenizer)  # StarCoder's, or a checkpoint family's
        sha256 = tokenizer_sha256(job.tokenizer)
    except TokenizerError as error:
        raise SystemExit(f"error: {error}") from None
    if not special.has_metadata and config.metadata_rate:
        print("the tokenizer's model family has no StarCoder metadata tokens: metadata off")
        config = replace(config, metadata_rate=0.0)
    output = Path(job.output).resolve()
    prepare_output(output, job.overwrite)
    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    dtype = token_dtype(vocab_size)

    init_ray(job.address, job.num_cpus)
    started = time.perf_counter()
    packer = TokenPacker(output, config, dtype)
    documents = encoded_documents(paths, tokenizer.to_str(), config, job.batch_size, special)
    for batch in documents.iter_batches(batch_format="pyarrow", batch_size=None):
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
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
