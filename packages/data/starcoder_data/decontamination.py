"""Decontamination: drop files that contain evaluation benchmark text.

StarCoder (Li et al. 2023, section 3.7; bigcode-dataset ``decontamination/``)
dropped every file whose lower-cased content contains, as a substring, the
docstring or canonical solution of a HumanEval problem or the text or solution
of an MBPP problem. Searching a few hundred patterns one by one costs a pass
per pattern; an Aho-Corasick automaton finds all of them in one pass.

The automaton is not picklable and the filter is shipped to Ray workers, so
the filter carries only the pattern list and builds its automaton on first use
in each worker.

Besides HumanEval and MBPP, ``DecontaminationConfig.extra_benchmarks`` names
JSON-lines files of a team's own benchmarks (``benchmark_data.
load_custom_benchmark``); each drops as ``"decontam:<file stem>"``, so the
report counts the files every benchmark removed.

Example::

    data = fetch_benchmarks("data_cache/benchmarks")
    decontaminate = Decontaminator(decontamination_patterns(data, DecontaminationConfig()))
    batch = decontaminate(batch)  # drop_reason "decontam:humaneval" / "decontam:mbpp"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from .benchmark_data import BenchmarkData, custom_benchmark_name
from .schema import CONTENT
from .stage import Filter

HUMANEVAL = "humaneval"
MBPP = "mbpp"


@dataclass(frozen=True, kw_only=True)
class DecontaminationConfig:
    # StarCoder searched every pattern as-is. The shortest ones are one-line
    # solutions such as "return x + y" or "return ''.join(strings)" that occur
    # in ordinary code, so shorter patterns are left out: at 25 that is 8 of
    # the 164 HumanEval solutions and nothing else (every docstring and MBPP
    # text is longer). Set 0 for StarCoder's exact behaviour.
    min_pattern_chars: int = 25
    # StarCoder: HumanEval docstrings and canonical solutions, MBPP texts and solutions.
    # MultiPL-E's MBPP has no solutions; its asserts stand in for them when enabled.
    include_mbpp_tests: bool = False
    # JSON-lines files of further benchmarks (absolute paths; the job's --decontaminate).
    extra_benchmarks: tuple[str, ...] = ()


def benchmark_names(config: DecontaminationConfig) -> tuple[str, ...]:
    """Every benchmark a run searches for, as its drop reasons name them.

    A custom file may not take the name of another benchmark: their counts
    would merge in the report.
    """
    names = (HUMANEVAL, MBPP, *(custom_benchmark_name(p) for p in config.extra_benchmarks))
    if len(set(names)) != len(names):
        raise ValueError(f"benchmark names must differ: {', '.join(names)}")
    return names


def removed_per_benchmark(config: DecontaminationConfig, counts: Iterable[dict]) -> dict:
    """Files and bytes each benchmark removed, 0 for one that removed none.

    ``counts`` are the report's rows: ``{"status": <drop reason or "kept">,
    "files": n, "bytes": n}``, any number per status.
    """
    removed = {name: {"files": 0, "bytes": 0} for name in benchmark_names(config)}
    for row in counts:
        stage, _, name = row["status"].partition(":")
        if stage == "decontam" and name in removed:
            removed[name]["files"] += int(row["files"])
            removed[name]["bytes"] += int(row["bytes"])
    return removed


def decontamination_patterns(
    data: BenchmarkData, config: DecontaminationConfig
) -> list[tuple[str, str]]:
    """``(pattern, benchmark)`` pairs to search for, stripped, unique, in benchmark order."""
    candidates: list[tuple[str, str]] = []
    for problem in data.humaneval:
        docstring = extract_docstring(problem.prompt)
        if docstring is not None:
            candidates.append((docstring, HUMANEVAL))
        candidates.append((problem.canonical_solution.strip(), HUMANEVAL))
    for problem in data.mbpp:
        text = extract_docstring(problem.prompt)
        if text is not None:
            candidates.append((text, MBPP))
        if config.include_mbpp_tests:
            candidates.extend((line.strip(), MBPP) for line in _assert_lines(problem.tests))
    for benchmark in data.custom:
        candidates.extend((text.strip(), benchmark.name) for text in benchmark.texts)
    seen: set[str] = set()
    patterns = []
    for pattern, benchmark in candidates:
        if len(pattern) >= max(config.min_pattern_chars, 1) and pattern.lower() not in seen:
            seen.add(pattern.lower())
            patterns.append((pattern, benchmark))
    return patterns


def extract_docstring(prompt: str) -> str | None:
    """The (last) docstring of a benchmark prompt, stripped; None if it has none.

    HumanEval prompts hold one docstring, or two when a helper function comes
    first (the problem's own is the second), as bigcode-dataset's
    ``extract_docstring`` assumes.
    """
    for quote in ('"""', "'''"):
        parts = prompt.split(quote)
        if len(parts) >= 3 and len(parts) % 2 == 1:
            return parts[-2].strip()
    return None


def _assert_lines(tests: str) -> list[str]:
    return [line for line in tests.splitlines() if line.strip().startswith("assert ")]


class Decontaminator(Filter):
    """Drop live rows whose content contains a benchmark pattern, case-insensitively."""

    stage = "decontam"
    name = "benchmark"

    def __init__(self, patterns: Sequence[tuple[str, str]]):
        self.patterns = [(pattern.lower(), benchmark) for pattern, benchmark in patterns]
        self._automaton = None

    def __getstate__(self) -> dict:
        return {"patterns": self.patterns, "_automaton": None}

    def reasons(self, batch: pa.Table) -> list[str | None]:
        automaton = self._build_automaton()
        contents = batch[CONTENT].to_pylist()
        return [self._reason(automaton, content) for content in contents]

    def _reason(self, automaton, content: str | None) -> str | None:
        if automaton is None or not content:
            return None
        for _end, benchmark in automaton.iter(content.lower()):
            return f"{self.stage}:{benchmark}"
        return None

    def _build_automaton(self):
        if self._automaton is None and self.patterns:
            import ahocorasick

            automaton = ahocorasick.Automaton()
            for pattern, benchmark in self.patterns:
                automaton.add_word(pattern, benchmark)
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton
