"""What a run tells its user: a metrics log, TensorBoard scalars, MFU, the loss curve."""

from __future__ import annotations

import json
from pathlib import Path

METRICS_FILE = "metrics.jsonl"

# Dense bf16 peak FLOP/s of common training GPUs (vendor data sheets, SXM where both exist).
_PEAK_BF16_FLOPS = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10G": 125e12,
    "L4": 121e12,
}


def peak_flops(device_name: str) -> float | None:
    """Peak bf16 FLOP/s of a GPU named like ``torch.cuda.get_device_name()``, if known."""
    for key, flops in _PEAK_BF16_FLOPS.items():
        if key in device_name.upper():
            return flops
    return None


def model_flops_utilization(tokens_per_s: float, flops_per_token: float, peak: float) -> float:
    return tokens_per_s * flops_per_token / peak


class MetricsLog:
    """Rank 0's record of every step: a JSON-lines file plus TensorBoard scalars.

    The JSON lines are the source of the loss curve and of the resume test: a
    resumed run appends the steps it redoes, and ``read_metrics`` keeps the last
    record of each step.
    """

    def __init__(self, run_dir: Path, tensorboard: bool = True):
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / METRICS_FILE
        self._writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(run_dir / "tensorboard"))

    def write(self, record: dict) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        if self._writer is not None:
            step = record["step"]
            for key, value in record.items():
                if key != "step" and isinstance(value, int | float):
                    self._writer.add_scalar(key, value, step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def read_metrics(run_dir: Path) -> list[dict]:
    """The metrics log, one record per step (the latest, where a resume redid a step)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.exists():
        return []
    by_step: dict[int, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            by_step.setdefault(record["step"], {}).update(record)
    return [by_step[s] for s in sorted(by_step)]


def plot_loss_curve(
    records: list[dict], path: Path, reference: float | None = None, title: str = "training loss"
) -> Path:
    """Train and validation loss against tokens seen; ``reference``: e.g. unigram entropy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    train = [(r["tokens_seen"], r["loss"]) for r in records if "loss" in r]
    val = [(r["tokens_seen"], r["val_loss"]) for r in records if "val_loss" in r]
    if train:
        ax.plot(*zip(*train, strict=True), label="train", linewidth=1)
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="validation", markersize=3)
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", label="unigram entropy")
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("loss (nats/token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
