"""What a training run reports when it ends: ``summary.json`` in its output folder."""

from __future__ import annotations

from dataclasses import dataclass

from starcoder_jobs.report import Report


@dataclass(frozen=True, kw_only=True)
class TrainingReport(Report):
    """The published model, how far the run went and how fast (``None``: not measured)."""

    FILE = "summary.json"

    model: str | None = None  # the HF checkpoint folder
    steps: int = 0
    tokens_seen: int = 0
    final_loss: float | None = None
    final_val_loss: float | None = None
    unigram_entropy: float | None = None  # of the training tokens: a frequency table's loss
    tokens_per_s: float | None = None  # mean of the reported windows
    wall_s: float | None = None
    loss_curve: str | None = None
    tensorboard: str | None = None

    def format(self) -> str:
        rows = [(name.replace("_", " "), value) for name, value in vars(self).items()]
        width = max(len(name) for name, _ in rows)
        lines = ["", "training summary", "-" * (width + 40)]
        for name, value in rows:
            shown = f"{value:,.4f}" if isinstance(value, float) else str(value)
            lines.append(f"{name:<{width}}  {shown}")
        return "\n".join(lines)


__all__ = ["TrainingReport"]
