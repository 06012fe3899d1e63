"""The curation report: files and bytes in, kept and dropped, per stage, reason and language.

Built from one small table of counts (``language``, ``status``, ``files``,
``bytes``), where ``status`` is ``"kept"`` or a drop reason
``"<stage>:<reason>"``. ``in`` is counted independently (from the rows that
entered the final stage), so the check ``kept + dropped == in`` is a real
check: a row lost by a join or a writer would show up as a mismatch.

:class:`CurationReport` is ``report.json``: the job writes it last (its
presence marks a finished run) and every reader (the pipeline's summary and
model card, the benchmarks, a resumed run) reads this type back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from starcoder_jobs.report import Report

from .curation import CurationConfig
from .schema import KEPT

# Stages in pipeline order: the report lists them in this order.
STAGE_ORDER = (
    "read",
    "decode",
    "language",
    "optout",
    "license",
    "notebook",
    "quality",
    "issues",
    "commits",
    "decontam",
    "dedup",
)


@dataclass(frozen=True)
class Count:
    files: int = 0
    bytes: int = 0

    def __add__(self, other: Count) -> Count:
        return Count(self.files + other.files, self.bytes + other.bytes)


@dataclass(frozen=True, kw_only=True)
class Tally:
    """Files that entered the last stage, and how many of them were kept and dropped."""

    entered: Count = field(metadata={"key": "in"})
    kept: Count
    dropped: Count


@dataclass(frozen=True, kw_only=True)
class LanguageTally(Tally):
    dropped_by_reason: dict[str, Count] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StageDrops:
    dropped: Count
    reasons: dict[str, Count]  # "<stage>:<reason>" -> files and bytes


@dataclass(frozen=True, kw_only=True)
class CurationReport(Report):
    """``report.json`` of a curation run."""

    FILE: ClassVar[str] = "report.json"

    totals: Tally
    stages: dict[str, StageDrops]  # in pipeline order; only stages that dropped something
    languages: dict[str, LanguageTally]  # by name
    files_read: int = 0  # files met by the readers (a notebook counts once)
    notebook_records_added: int = 0  # extra rows from notebooks emitted in two forms
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)  # this attempt's steps
    decontamination: dict[str, Count] = field(default_factory=dict)  # removed per benchmark
    config: CurationConfig | None = None

    def kept_by_language(self) -> list[tuple[str, Count]]:
        """Kept files per language with any kept, most bytes first."""
        kept = [(name, tally.kept) for name, tally in self.languages.items() if tally.kept.files]
        return sorted(kept, key=lambda item: (-item[1].bytes, item[0]))


def _stage_of(status: str) -> str:
    return status.split(":", 1)[0]


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def build_report(
    counts: Iterable[Mapping], inputs: Mapping[str, Count], **details: Any
) -> CurationReport:
    """Assemble the report from per-(language, status) counts.

    ``counts`` rows have keys language, status, files, bytes; ``inputs`` maps
    language -> Count of rows that entered the final stage; ``details`` are the
    report's other fields. Raises if kept + dropped differs from in for any language.
    """
    per_language: dict[str, dict[str, Count]] = {}
    per_reason: dict[str, Count] = {}
    for row in counts:
        language = row["language"] or "unknown"
        status = row["status"]
        count = Count(int(row["files"]), int(row["bytes"]))
        per_language.setdefault(language, {})
        per_language[language][status] = per_language[language].get(status, Count()) + count
        if status != KEPT:
            per_reason[status] = per_reason.get(status, Count()) + count

    languages = {}
    mismatches = []
    for language in sorted(set(per_language) | set(inputs)):
        statuses = per_language.get(language, {})
        kept = statuses.get(KEPT, Count())
        dropped = sum((c for s, c in statuses.items() if s != KEPT), Count())
        entered = inputs.get(language, Count())
        if kept + dropped != entered:
            mismatches.append(f"{language}: in {entered}, kept {kept} + dropped {dropped}")
        languages[language] = LanguageTally(
            entered=entered,
            kept=kept,
            dropped=dropped,
            dropped_by_reason={s: c for s, c in sorted(statuses.items()) if s != KEPT},
        )
    if mismatches:
        raise ValueError("report does not add up: " + "; ".join(mismatches))

    reasons_by_stage: dict[str, dict[str, Count]] = {}
    for reason in sorted(per_reason, key=lambda r: (_stage_rank(_stage_of(r)), r)):
        reasons_by_stage.setdefault(_stage_of(reason), {})[reason] = per_reason[reason]
    stages = {
        stage: StageDrops(dropped=sum(reasons.values(), Count()), reasons=reasons)
        for stage, reasons in reasons_by_stage.items()
    }
    total_in = sum(inputs.values(), Count())
    total_kept = sum((tally.kept for tally in languages.values()), Count())
    totals = Tally(
        entered=total_in,
        kept=total_kept,
        dropped=Count(total_in.files - total_kept.files, total_in.bytes - total_kept.bytes),
    )
    return CurationReport(totals=totals, stages=stages, languages=languages, **details)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.2f}"


def format_report(report: CurationReport, max_languages: int = 30) -> str:
    """The report as the plain-text tables the job prints at the end."""
    lines = []
    totals = report.totals
    lines.append(f"{'':34}{'files':>10}{'MB':>12}")
    for key, count in (("in", totals.entered), ("kept", totals.kept), ("dropped", totals.dropped)):
        lines.append(f"{key:34}{count.files:>10,}{_mb(count.bytes):>12}")
    lines.append("")
    lines.append(f"{'dropped by stage / reason':34}{'files':>10}{'MB':>12}")
    for stage, drops in report.stages.items():
        lines.append(f"{stage:34}{drops.dropped.files:>10,}{_mb(drops.dropped.bytes):>12}")
        for reason, count in drops.reasons.items():
            lines.append(f"  {reason:32}{count.files:>10,}{_mb(count.bytes):>12}")
    lines.append("")
    header = f"{'language':22}{'in':>9}{'kept':>9}{'dropped':>9}{'in MB':>11}{'kept MB':>11}"
    lines.append(header)
    ranked = sorted(report.languages.items(), key=lambda kv: -kv[1].entered.bytes)
    for language, tally in ranked[:max_languages]:
        lines.append(
            f"{language[:21]:22}{tally.entered.files:>9,}{tally.kept.files:>9,}"
            f"{tally.dropped.files:>9,}{_mb(tally.entered.bytes):>11}{_mb(tally.kept.bytes):>11}"
        )
    if len(ranked) > max_languages:
        lines.append(f"... {len(ranked) - max_languages} more languages in report.json")
    return "\n".join(lines)


def plot_language_mix(report: CurationReport, path: Path, top: int = 25) -> None:
    """Bar chart of kept megabytes per language (the top ``top``) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = [(name, tally) for name, tally in report.languages.items() if tally.kept.bytes > 0]
    ranked = sorted(ranked, key=lambda item: -item[1].kept.bytes)[:top]
    names = [name for name, _ in ranked][::-1]
    kept = [tally.kept.bytes / 1e6 for _, tally in ranked][::-1]
    dropped = [tally.dropped.bytes / 1e6 for _, tally in ranked][::-1]
    fig, ax = plt.subplots(figsize=(8, max(3, 0.32 * len(names) + 1.2)))
    rows = range(len(names))
    # Log scale: the mix spans several orders of magnitude.
    ax.barh([r + 0.2 for r in rows], kept, height=0.4, label="kept", color="#2b7bba")
    ax.barh([r - 0.2 for r in rows], dropped, height=0.4, label="dropped", color="#c9c9c9")
    ax.set_yticks(list(rows), names)
    ax.set_xscale("log")
    ax.set_xlabel("MB (log scale)")
    ax.set_title("Language mix after curation")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
