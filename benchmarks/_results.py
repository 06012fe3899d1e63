"""Where benchmark figures go: ``benchmarks/results/<name>.json``, with the machine they came from.

Docs quote figures only from these files, so each one says what ran it:
CPU model, cores, load average, memory, the versions that matter and the git commit.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
_PACKAGES = ("ray", "pyarrow", "numpy", "numba", "datasketch")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def machine_info() -> dict:
    """The machine and software a figure was measured on."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        # 1, 5 and 15 minute run-queue averages when the result is written: above the core
        # count, something else shared the machine while the figures were measured
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": _git_commit(),
    }


def write_result(name: str, result: dict) -> Path:
    """``result`` plus :func:`machine_info` as ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**result, "machine": machine_info()}, indent=2) + "\n")
    return path
