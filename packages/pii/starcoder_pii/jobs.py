"""The settings of ``ray_jobs/redact_pii.py``: which detector redacts which classes, on what."""

from __future__ import annotations

from dataclasses import dataclass

from starcoder_jobs.config import option

from .spans import PII_CLASSES

BASELINE, LEARNED = "baseline", "learned"


@dataclass(frozen=True, kw_only=True)
class RedactJob:
    """Curated Parquet in, the same rows with PII replaced (and a report) out."""

    data: str = option("outputs/curated/data", "curated Parquet folder")
    output: str = option("outputs/redacted", "output folder")
    detector: str | None = option(None, f"default: {LEARNED} with --model, else {BASELINE}")
    model: str | None = option(None, "NER model directory (HF format)")
    spans: bool = option(False, "also write the spans for audit")
    classes: str = option(
        ",".join(PII_CLASSES),
        "comma-separated classes to replace, e.g. to leave out USERNAME",
    )
    veto: str = option(
        "",
        "with --detector learned: KEY and/or PASSWORD, comma-separated, to let the model drop "
        "rule-based candidates it scores below its stored threshold (default: none, every "
        "rule-based secret is redacted)",
    )
    actors: int | None = option(None, "actor pool size (default: CPUs/2)")
    batch_size: int = option(64, "files per actor call")
    gpu: str = option("auto", choices=("auto", "on", "off"))
    address: str | None = option(None, "Ray cluster address")
    num_cpus: int | None = option(None, "CPUs of the local Ray")
    overwrite: bool = option(False, "replace a non-empty --output")


__all__ = ["RedactJob"]
