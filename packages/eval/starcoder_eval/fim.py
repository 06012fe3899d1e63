"""Single-line fill-in-the-middle on HumanEval, scored by exact match.

As in SantaCoder / StarCoder's single-line infilling benchmark, one line of a
HumanEval canonical solution is masked; the model sees everything before it
(prompt and solution lines) as prefix and everything after it as suffix, and
its middle, cut at the first newline, must equal the masked line (surrounding
whitespace ignored). Which line is masked is drawn per problem from ``seed``,
among the solution's non-blank lines, so runs compare.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .generation import GenerationRequest
from .tasks import Problem

_MIDDLE_STOP = ("\n",)


@dataclass(frozen=True, kw_only=True)
class FimExample:
    task_id: str
    prefix: str
    suffix: str
    middle: str  # the masked line, without its newline


def single_line_examples(problems: Sequence[Problem], *, seed: int = 0) -> list[FimExample]:
    """One masked line per problem that has a canonical solution."""
    rng = random.Random(seed)
    examples = []
    for problem in problems:
        if not problem.canonical_solution:
            continue
        lines = problem.canonical_solution.splitlines(keepends=True)
        candidates = [i for i, line in enumerate(lines) if line.strip()]
        if not candidates:
            continue
        masked = rng.choice(candidates)
        examples.append(
            FimExample(
                task_id=problem.task_id,
                prefix=problem.prompt + "".join(lines[:masked]),
                suffix="\n" + "".join(lines[masked + 1 :]),
                middle=lines[masked].rstrip("\n"),
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
    """Exact match over every generated middle, and the per-example record."""
    records = [
        {
            "task_id": e.task_id,
            "completion_id": i,
            "expected": e.middle,
            "generated": text,
            "exact_match": exact_match(text, e.middle),
        }
        for e, texts in zip(examples, generations, strict=True)
        for i, text in enumerate(texts)
    ]
    hits = sum(r["exact_match"] for r in records)
    return {
        "task": "fim-single-line",
        "exact_match": hits / len(records) if records else 0.0,
        "examples": len(examples),
        "samples": records,
    }
