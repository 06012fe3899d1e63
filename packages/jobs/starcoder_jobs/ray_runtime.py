"""How every job connects to Ray and prepares its output folder: one place, so all agree."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

WORKER_LOGS = "STARCODER_WORKER_LOGS"  # =1: stream every worker's output to the console


def init_ray(address: str | None = None, num_cpus: int | None = None):
    """Connect to ``address`` (or ``RAY_ADDRESS``), else start a local Ray.

    Under ``ray job submit`` the job's driver finds its cluster through
    ``RAY_ADDRESS``; run as a plain script it starts a local cluster sized to
    this machine (or to ``num_cpus``). The console shows the job's own
    progress and summaries; workers' output (Ray Train's per-report lines,
    DeepSpeed, library warnings) stays in Ray's log files
    (``/tmp/ray/session_latest/logs``) unless ``STARCODER_WORKER_LOGS=1``.
    """
    import ray

    if ray.is_initialized():
        return ray.get_runtime_context()
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    worker_logs = os.environ.get(WORKER_LOGS) == "1"
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        return ray.init(address=address, log_to_driver=worker_logs)
    # "local" always starts a fresh cluster, never attaching to one left running.
    return ray.init(
        address="local", num_cpus=num_cpus, include_dashboard=True, log_to_driver=worker_logs
    )


def prepare_output(output, overwrite: bool) -> None:
    """Create a job's output folder; a non-empty one is replaced only with ``--overwrite``."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        if not overwrite:
            raise SystemExit(f"error: {output} is not empty; rerun with --overwrite to replace it")
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
