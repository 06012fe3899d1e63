"""The driver's training progress: one line per reported step, read from the metrics log."""

from __future__ import annotations

import json

from starcoder_model.training.metrics import METRICS_FILE
from starcoder_model.training.progress import ProgressFollower, progress_line


def _append(path, *records):
    with path.open("a") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


def test_each_reported_step_is_printed_once_with_its_windows_mean_loss(tmp_path, capsys):
    metrics = tmp_path / METRICS_FILE
    _append(metrics, {"step": 1, "loss": 9.0, "tokens_per_s": 1.0})  # an earlier attempt's
    with ProgressFollower(tmp_path, max_steps=4, poll_s=0.01):
        _append(
            metrics,
            {"step": 1, "loss": 6.0, "lr": 1e-3},
            {"step": 2, "loss": 4.0, "lr": 1e-3, "tokens_per_s": 5432.1},
            {"step": 3, "loss": 3.0, "lr": 2e-3},
        )
        with metrics.open("a") as f:  # the last record, still being written at exit
            f.write('{"step": 4, "loss": 1.0, "val_loss": 2.5, "lr": 0.002, "tokens_per_s": 8000}')
        with metrics.open("a") as f:
            f.write("\n")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "step 2/4 | loss 5.000 | lr 1.00e-03 | 5,432 tok/s",
        "step 4/4 | loss 2.000 | val 2.500 | lr 2.00e-03 | 8,000 tok/s",
    ]


def test_a_progress_line_shows_only_what_the_record_has():
    assert progress_line({"step": 3}, 10, []) == "step 3/10"
    line = progress_line({"step": 3, "mfu": 0.41}, 10, [2.0])
    assert line == "step 3/10 | loss 2.000 | MFU 41.0%"
