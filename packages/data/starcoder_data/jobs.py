"""The settings of the data jobs (``ray_jobs/curate.py``, ``ray_jobs/pack_tokens.py``).

Each is a frozen dataclass that the job's command line is made from (see
:mod:`starcoder_jobs.config`) and that the pipeline composes; the recipe
itself (filters, thresholds, packing) lives in the configs these build.
"""

from __future__ import annotations

from dataclasses import dataclass

from starcoder_jobs.config import option

from .tokens.config import PRESETS as PACK_PRESETS

BENCHMARK_CACHE = "data_cache/benchmarks"  # where `make install` fetches the benchmarks


@dataclass(frozen=True, kw_only=True)
class CurateJob:
    """``ray_jobs/curate.py``: raw code in, curated Parquet and a report out."""

    sources: tuple[str, ...] = option(
        ("local",),
        "local | directory:PATH | folder:PATH | git:PATH_OR_URL | archive:PATH | "
        "issues:FILE.jsonl | commits:FILE.jsonl | The Stack v1/v2 as parquet:PATH | "
        "jsonl:PATH (.jsonl, .jsonl.gz) | hf:PATH (a save_to_disk folder) (repeatable)",
        flag="--source",
        metavar="KIND[:LOCATION]",
    )
    output: str = option("outputs/curated", "output folder")
    optout: str | None = option(None, "opt-out list: one owner or owner/repo per line")
    max_repos: int | None = option(
        None, "read at most this many repos per source (parquet/jsonl/hf: data files)"
    )
    benchmark_cache: str = option(BENCHMARK_CACHE)
    overwrite: bool = option(False, "replace an existing run")
    address: str | None = option(None, "Ray cluster address (default: RAY_ADDRESS or local)")
    num_cpus: int | None = option(None, "CPUs of the local Ray (default: all)")
    join_partitions: int = option(8, "partitions of the dedup join (drop lists over memory)")
    license_policy: str = option(
        "permissive",
        "permissive: StarCoder's rule for public code; any: keep every file, for your own code",
        choices=("permissive", "any"),
    )
    source_licenses: str = option(
        "trust",
        "parquet/jsonl/hf rows of The Stack: trust the licenses it gives (it kept only "
        "permissive or, in v2, unlicensed repos), or recheck them with SPDX headers and "
        "--license-policy like any other source",
        choices=("trust", "recheck"),
    )
    decontaminate: tuple[str, ...] = option(
        (),
        "a benchmark of your own to remove from the data: JSON lines with string fields "
        "among prompt, text, question, problem, canonical_solution, solution, code, "
        "reference_code, answer; drops as decontam:<file stem> (repeatable)",
        metavar="FILE.jsonl",
    )


@dataclass(frozen=True, kw_only=True)
class PackTokensJob:
    """``ray_jobs/pack_tokens.py``: curated Parquet in, packed token shards out.

    Fields left as ``None`` keep the packing preset's value.
    """

    data: str = option("outputs/curated/data", "curated Parquet folder")
    tokenizer: str = option("outputs/tokenizer", "folder of tokenizer.json")
    output: str = option("outputs/tokens", "output folder")
    preset: str = option("tiny", "packing preset (tiny: 512 tokens; full: 8192)",
                         choices=tuple(sorted(PACK_PRESETS)))  # fmt: skip
    seq_len: int | None = option(None, "tokens per sequence (tiny 512, full 8192)")
    seed: int | None = option(None)
    metadata_rate: float | None = option(None, "rate of each metadata part (0.2)")
    val_fraction: float | None = option(None, "share of files held out (0.01)")
    languages: str | None = option(None, "comma-separated languages (default: all)")
    overwrite: bool = option(False, "replace a non-empty --output")
    address: str | None = option(None, "Ray cluster address (default: RAY_ADDRESS or local)")
    num_cpus: int | None = option(None, "CPUs of the local Ray (default: all)")
    batch_size: int = option(256, "files per encoder batch")

    def language_list(self) -> tuple[str, ...]:
        return tuple(x.strip() for x in (self.languages or "").split(",") if x.strip())


__all__ = ["BENCHMARK_CACHE", "CurateJob", "PackTokensJob"]
