"""Training progress on the driver's console, from the metrics rank 0 writes.

Workers' own output (Ray Train's per-report lines, DeepSpeed, warnings) stays
in Ray's log files; the driver follows ``metrics.jsonl`` while ``fit()`` runs
and prints one line per reported step, so the console shows the run once,
whatever the number of workers.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from .metrics import METRICS_FILE


def progress_line(record: dict, max_steps: int, window_losses: list[float]) -> str:
    """``step 40/100 | loss 5.213 | val 5.101 | lr 2.00e-03 | 8,102 tok/s`` (what is known)."""
    parts = [f"step {record['step']}/{max_steps}"]
    if window_losses:
        parts.append(f"loss {np.mean(window_losses):.3f}")
    if "val_loss" in record:
        parts.append(f"val {record['val_loss']:.3f}")
    if "lr" in record:
        parts.append(f"lr {record['lr']:.2e}")
    if "tokens_per_s" in record:
        parts.append(f"{record['tokens_per_s']:,.0f} tok/s")
    if "mfu" in record:
        parts.append(f"MFU {record['mfu']:.1%}")
    return " | ".join(parts)


class ProgressFollower:
    """A thread printing each reported step appended to ``run_dir/metrics.jsonl``.

    A step is reported when its record carries a throughput (``tokens_per_s``)
    or a validation loss; the loss shown is the mean of the steps since the
    last report, as the workers report it to Ray Train.
    """

    def __init__(
        self, run_dir: Path, max_steps: int, poll_s: float = 0.5, every_record: bool = False
    ) -> None:
        self.path = Path(run_dir) / METRICS_FILE
        self.max_steps = max_steps
        self.every_record = every_record  # a loop that logs only the steps it reports
        self.poll_s = poll_s
        # A resumed run appends to the same file: only what this run writes is new.
        self.offset = self.path.stat().st_size if self.path.is_file() else 0
        self.losses: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="training-progress", daemon=True)

    def __enter__(self) -> ProgressFollower:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._read()  # what the last steps wrote

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self._read()

    def _read(self) -> None:
        if not self.path.is_file():
            return
        with self.path.open() as f:
            f.seek(self.offset)
            text = f.read()
        complete, _, _ = text.rpartition("\n")  # a line being written waits for the next read
        if not complete:
            return
        self.offset += len(complete.encode()) + 1
        for line in complete.splitlines():
            self._show(json.loads(line))

    def _show(self, record: dict) -> None:
        if "loss" in record:
            self.losses.append(record["loss"])
        if self.every_record or "tokens_per_s" in record or "val_loss" in record:
            print(progress_line(record, self.max_steps, self.losses), flush=True)
            self.losses = []


__all__ = ["ProgressFollower", "progress_line"]
