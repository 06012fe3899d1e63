"""The whole curation job: throughput on 1 and 2 CPUs, and peak memory at 1x and 4x input.

    python benchmarks/curation_job.py                  # defaults below, ~15 minutes on 2 cores
    python benchmarks/curation_job.py --repos 40 --scale 4
    python benchmarks/curation_job.py --repos 0 --scale 1   # the whole default corpus, 2 CPUs

Each run is ``ray_jobs/curate.py`` in a fresh process with its own local Ray,
over the first N repositories of the embedded default corpus (the machine's
own source trees). Peak memory is the largest sum of PSS (proportional set
size: shared pages such as Ray's object store counted once) over the job's
whole process tree, sampled twice a second. Throughput is input MB over the
job's own wall time (Ray start included). The 1-CPU run is the baseline for
scaling; the 1x run is the baseline for memory, which should stay flat at
``--scale`` times the input because the corpus streams through Ray Data and
is never collected on the driver. Bytes processed leave out files over 1 MB,
which are counted but never read; each run also gives the dedup step's share
of its wall time (the job's ``report.json`` ``step_seconds``). Written to
``benchmarks/results/curation_job.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _results import write_result
from starcoder_data.report import Count, CurationReport

ROOT = Path(__file__).resolve().parents[1]


def _tree_pss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_job(repos: int, cpus: int, output: Path) -> dict:
    """One curation run; returns its input size, time and peak memory."""
    command = [
        sys.executable, str(ROOT / "ray_jobs/curate.py"), "--output", str(output),
        "--num-cpus", str(cpus), *(["--max-repos", str(repos)] if repos else []),
    ]  # fmt: skip
    started = time.perf_counter()
    job = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    watcher = psutil.Process(job.pid)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.5):
            peak = max(peak, _tree_pss(watcher))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, stderr = job.communicate()
    done.set()
    thread.join()
    seconds = time.perf_counter() - started
    if job.returncode != 0:
        raise RuntimeError(f"curation failed:\n{stderr.decode()[-3000:]}")
    report = CurationReport.read(output)
    mb = report.totals.entered.bytes / 1e6
    # Files over 1 MB are counted in but never read: bytes processed leave them out.
    read_drops = report.stages.get("read")
    too_large = read_drops.reasons.get("read:too_large", Count()) if read_drops else Count()
    processed = mb - too_large.bytes / 1e6
    return {
        "repos": repos,
        "cpus": cpus,
        "input_files": report.totals.entered.files,
        "input_mb": round(mb, 1),
        "kept_mb": round(report.totals.kept.bytes / 1e6, 1),
        "seconds": round(seconds, 1),
        "mb_per_s": round(mb / seconds, 2),
        "processed_mb": round(processed, 1),
        "processed_mb_per_s_per_core": round(processed / seconds / cpus, 2),
        "peak_memory_gb": round(peak / 2**30, 2),
        "step_seconds": report.step_seconds,
        "dedup_seconds": report.step_seconds["duplicates"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repos", type=int, default=60, help="repositories in the 1x input (0: every one)"
    )
    parser.add_argument("--scale", type=int, default=4, help="the larger input, in multiples")
    parser.add_argument("--name", default="curation_job", help="results file name")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.repos == 0:  # the whole corpus once: throughput and dedup share only
            whole = run_job(0, 2, Path(tmp) / "whole")
            result = {
                "benchmark": "curation_job",
                "baseline": "none: the whole default corpus on 2 CPUs",
                "whole_corpus": whole,
            }
            print(json.dumps(result, indent=2))
            write_result(args.name, result)
            return
        one_cpu = run_job(args.repos, 1, Path(tmp) / "cpu1")
        two_cpu = run_job(args.repos, 2, Path(tmp) / "cpu2")
        scaled = run_job(args.repos * args.scale, 2, Path(tmp) / "scaled")
    result = {
        "benchmark": "curation_job",
        "baseline": "the same job on 1 CPU (throughput) and on 1x input (memory)",
        "throughput": {"cpu1": one_cpu, "cpu2": two_cpu},
        "speedup_2_cpus": round(two_cpu["mb_per_s"] / one_cpu["mb_per_s"], 2),
        "memory": {"1x": two_cpu, f"{args.scale}x": scaled},
        "input_ratio": round(scaled["input_mb"] / two_cpu["input_mb"], 2),
        "peak_memory_ratio": round(scaled["peak_memory_gb"] / two_cpu["peak_memory_gb"], 2),
    }
    print(json.dumps(result, indent=2))
    write_result(args.name, result)


if __name__ == "__main__":
    main()
