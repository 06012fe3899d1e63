"""``summary.json`` of an evaluation run: each task's headline numbers, typed.

The evaluation job writes it, and the job's printed table, the pipeline's run
summary and the model card read it back as :class:`EvaluationSummary`. Three
kinds of task share the record (their fields are ``None`` or empty where
they do not apply): code tasks score pass@k over executed samples, the FIM
task scores exact match per language, and perplexity scores held-out files
per language. :meth:`TaskSummary.metrics` is the one place their numbers are
turned into rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import ClassVar

from starcoder_jobs.config import from_dict, to_dict
from starcoder_jobs.report import Report

__all__ = ["EvaluationSummary", "Metric", "TaskSummary", "format_table"]


@dataclass(frozen=True, kw_only=True)
class LanguageMatch:
    exact_match: float
    samples: int


@dataclass(frozen=True, kw_only=True)
class LanguagePerplexity:
    documents: int
    tokens: int
    nll: float  # mean per token, nats
    perplexity: float


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One number of one task: what the table prints and the model card's model-index holds."""

    task: str
    metric: str  # pass@1, exact_match, exact_match[python], perplexity
    value: float
    n: int | None  # problems, examples or documents behind it
    language: str | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class TaskSummary:
    """One task's numbers, without its samples (those are in ``<task>.json``)."""

    task: str
    # code tasks
    pass_at_k: dict[str, float] | None = None
    problems: int | None = None
    samples_per_problem: int | None = None
    statuses: dict[str, int] = field(default_factory=dict)  # outcome -> samples
    skipped: dict[str, str] = field(default_factory=dict)  # task id -> why
    unattempted: tuple[str, ...] | None = None  # problems a samples file had none of
    generation_s: float | None = None
    execution_s: float | None = None
    programs_per_s: float | None = None
    # the FIM task
    exact_match: float | None = None
    examples: int | None = None
    per_language: dict[str, LanguageMatch] = field(default_factory=dict)
    # perplexity
    held_out: str | None = None
    languages: dict[str, LanguagePerplexity] = field(default_factory=dict)

    @classmethod
    def of_result(cls, result: dict) -> TaskSummary:
        """The summary of a task's full result (its samples and other detail left out)."""
        names = {f.name for f in fields(cls)}
        return from_dict(cls, {k: v for k, v in result.items() if k in names})

    def outcomes(self) -> str:
        """``"failed 3, passed 5; 2 skipped"``: how the samples of a code task ended."""
        note = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        return note + (f"; {len(self.skipped)} skipped" if self.skipped else "")

    def metrics(self) -> list[Metric]:
        """Every headline number of the task, in the order the table prints them."""
        if self.pass_at_k is not None:
            return [
                Metric(task=self.task, metric=k, value=float(v), n=self.problems,
                       note=self.outcomes())
                for k, v in self.pass_at_k.items()
            ]  # fmt: skip
        if self.exact_match is not None:
            overall = Metric(task=self.task, metric="exact_match", value=self.exact_match,
                             n=self.examples)  # fmt: skip
            return [overall] + [
                Metric(task=self.task, metric=f"exact_match[{language}]",
                       value=figures.exact_match, n=figures.samples, language=language)
                for language, figures in self.per_language.items()
            ]  # fmt: skip
        return [
            Metric(task=self.task, metric="perplexity", value=figures.perplexity,
                   n=figures.documents, language=language, note=f"{figures.tokens:,} tokens")
            for language, figures in sorted(self.languages.items())
        ]  # fmt: skip


@dataclass(frozen=True)
class EvaluationSummary(Report):
    """The tasks of one evaluation run, in the order they ran; a JSON list on disk."""

    FILE: ClassVar[str] = "summary.json"

    tasks: tuple[TaskSummary, ...]

    @classmethod
    def of_results(cls, results: Iterable[dict]) -> EvaluationSummary:
        return cls(tuple(TaskSummary.of_result(result) for result in results))

    def to_payload(self) -> list[dict]:
        """Each task with only the fields that apply to it."""
        return [
            {k: v for k, v in to_dict(task).items() if v is not None and v != {}}
            for task in self.tasks
        ]

    @classmethod
    def from_payload(cls, payload: list[dict]) -> EvaluationSummary:
        return cls(tuple(from_dict(TaskSummary, row) for row in payload))

    def metrics(self) -> list[Metric]:
        return [metric for task in self.tasks for metric in task.metrics()]


def _value(metric: Metric) -> str:
    return f"{metric.value:.3f}" if metric.metric == "perplexity" else f"{metric.value:.4f}"


def format_table(summary: EvaluationSummary) -> str:
    """A fixed-width table of every task's metrics."""
    header = ("task", "n", "metric", "value", "outcomes")
    rows = [header] + [
        (m.task, str(m.n), f"ppl[{m.language}]" if m.metric == "perplexity" else m.metric,
         _value(m), m.note)
        for m in summary.metrics()
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
