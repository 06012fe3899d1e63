"""What the redaction job reports: ``report.json`` beside the redacted data."""

from __future__ import annotations

from dataclasses import dataclass, field

from starcoder_jobs.report import Report

MB = 1e6


@dataclass(frozen=True, kw_only=True)
class RedactionReport(Report):
    """Files and bytes per status, spans replaced per class, and how the run went."""

    FILE = "report.json"

    files: int = 0
    bytes: int = 0
    status: dict[str, int] = field(default_factory=dict)  # redacted, clean, ..., error
    errors: dict[str, int] = field(default_factory=dict)  # error:<type> -> files
    spans: dict[str, int] = field(default_factory=dict)  # class -> values replaced
    files_with_pii: int = 0
    detector: str | None = None
    classes: tuple[str, ...] = ()
    model: str | None = None
    device: str | None = None
    actors: int | None = None
    seconds: float | None = None
    files_per_s: float | None = None
    mb_per_s: float | None = None

    def format(self) -> str:
        lines = [
            f"redacted {self.files:,} files ({self.bytes / MB:,.1f} MB) with {self.detector} "
            f"in {self.seconds or 0:.1f}s: {self.files_per_s or 0:,.1f} files/s, "
            f"{self.mb_per_s or 0:,.2f} MB/s",
            f"{'status':20}{'files':>10}",
        ]
        lines += [f"{status:20}{n:>10,}" for status, n in self.status.items()]
        lines += [f"{'  ' + e:20}{n:>10,}" for e, n in self.errors.items()]
        lines += [f"{'class':20}{'replaced':>10}"]
        lines += [f"{cls:20}{n:>10,}" for cls, n in self.spans.items()]
        return "\n".join(lines)


__all__ = ["RedactionReport"]
