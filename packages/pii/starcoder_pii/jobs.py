"""The settings of ``ray_jobs/redact_pii.py``: which detector redacts which classes, on what."""

from __future__ import annotations

from dataclasses import dataclass

from starcoder_jobs.config import checked_overrides, option

from .spans import PII_CLASSES
from .stage import DETECTORS, LEARNED, NEEDS_NO_MODEL, RULES


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


@dataclass(frozen=True, kw_only=True)
class RedactJob:
    """Curated Parquet in, the same rows with PII replaced (and a report) out."""

    data: str = option("outputs/curated/data", "curated Parquet folder")
    output: str = option("outputs/redacted", "output folder")
    detector: str | None = option(
        None,
        f"default: {LEARNED} with --model, else {RULES} (the baseline plus the context rules; "
        "of the model-free systems the one with the fewest leaks, docs/pii.md)",
        choices=DETECTORS,
    )
    model: str | None = option(None, "NER model directory (HF format)")
    spans: bool = option(False, "also write the spans for audit")
    classes: str = option(
        ",".join(PII_CLASSES), "comma-separated classes to replace, e.g. to leave out USERNAME"
    )
    veto: str = option(
        "",
        f"with --detector {LEARNED}: KEY and/or PASSWORD, comma-separated, to let the model drop "
        "rule-based candidates it scores below its stored threshold (default: none, every "
        "rule-based secret is redacted)",
    )
    actors: int | None = option(None, "actor pool size (default: CPUs/2)")
    batch_size: int = option(64, "files per actor call")
    gpu: str = option("auto", choices=("auto", "on", "off"))
    address: str | None = option(None, "Ray cluster address")
    num_cpus: int | None = option(None, "CPUs of the local Ray")
    overwrite: bool = option(False, "replace a non-empty --output")

    def chosen_detector(self) -> str:
        return self.detector or (LEARNED if self.model else RULES)

    def class_list(self) -> tuple[str, ...]:
        return _names(self.classes)

    def veto_list(self) -> tuple[str, ...]:
        return _names(self.veto)

    def check(self) -> None:
        """``ValueError`` for settings no run can use, before anything starts."""
        from .learned import VERIFIED_CLASSES

        detector = self.chosen_detector()
        if detector not in NEEDS_NO_MODEL and not self.model:
            raise ValueError(f"--detector {detector} needs --model")
        unknown = sorted(set(self.class_list()) - set(PII_CLASSES))
        if unknown or not self.class_list():
            raise ValueError(f"classes must be among {', '.join(PII_CLASSES)}")
        if set(self.veto_list()) - set(VERIFIED_CLASSES):
            raise ValueError(f"veto classes must be among {VERIFIED_CLASSES}")
        if self.veto_list() and detector != LEARNED:
            raise ValueError(f"--veto applies to --detector {LEARNED} only")


OVERRIDES_HELP = "override a PiiTrainConfig field, e.g. --set max_steps=500 (repeatable)"


def training_overrides(overrides: dict) -> dict:
    """``--set`` fields checked against :class:`PiiTrainConfig` (``ValueError`` otherwise)."""
    from .training import PiiTrainConfig

    return checked_overrides(overrides, PiiTrainConfig, exclude=("task", "data", "output_dir"))


@dataclass(frozen=True, kw_only=True)
class PiiDatasetJob:
    """``ray_jobs/build_pii_dataset.py``: curated files with injected and pseudo-labelled PII."""

    data: str = option("outputs/curated/data", "curated Parquet folder")
    output: str = option("outputs/pii_dataset", "output folder")
    # 30 MB / 3,000: the set the figures in docs/pii.md were measured on.
    sample_mb: float = option(30.0, "MB of host files to read")
    max_files: int = option(3000, "at most this many examples")
    test_fraction: float = option(0.2, "share of repos held out")
    seed: int = option(0)


@dataclass(frozen=True, kw_only=True)
class StarEncoderJob:
    """``ray_jobs/train_starencoder.py``: the encoder (MLM + NSP) on a sample of curated code."""

    data: str = option("outputs/curated/data", "curated Parquet folder")
    tokenizer: str = option("outputs/tokenizer", "the project's tokenizer")
    output: str = option("outputs/starencoder", "run directory")
    preset: str = option("tiny", "tiny, starencoder-125m or micro")
    sample_mb: float = option(16.0, "MB of code to train on")
    languages: str | None = option(None, "comma-separated languages (default: all)")
    overrides: dict = option(help=OVERRIDES_HELP, flag="--set", default_factory=dict)
    address: str | None = option(None, "Ray cluster address")
    overwrite: bool = option(False, "replace another run in --output")

    def language_list(self) -> tuple[str, ...]:
        return _names(self.languages or "")

    def check(self) -> None:
        training_overrides(self.overrides)


@dataclass(frozen=True, kw_only=True)
class PiiNerJob:
    """``ray_jobs/train_pii_ner.py``: NER on the encoder, thresholds, the evaluation table."""

    dataset: str = option("outputs/pii_dataset", "build_pii_dataset.py's output")
    encoder: str = option("outputs/starencoder/model", "the StarEncoder model folder")
    output: str = option("outputs/pii_ner", "run directory")
    overrides: dict = option(help=OVERRIDES_HELP, flag="--set", default_factory=dict)
    eval_only: bool = option(False, "evaluate OUTPUT/model only")
    address: str | None = option(None, "Ray cluster address")
    overwrite: bool = option(False, "replace another run in --output")

    def check(self) -> None:
        training_overrides(self.overrides)


__all__ = ["PiiDatasetJob", "PiiNerJob", "RedactJob", "StarEncoderJob", "training_overrides"]
