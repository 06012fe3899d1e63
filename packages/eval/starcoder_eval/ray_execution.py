"""Sandboxed execution spread over a Ray cluster: one task per chunk of samples.

The package's :func:`starcoder_eval.execution.run_batch` is the unit of work: a
pure function from samples and a :class:`SandboxConfig` to outcomes, with no
Ray inside. Here it becomes a Ray task that reserves one CPU and runs its
chunk one program at a time, so a cluster runs as many programs at once as it
has free CPUs, on whichever nodes have them (each node needs bubblewrap and
the compilers of the tasks it runs). Outcomes come back in the order of the
samples whatever order the tasks finish in.
"""

from __future__ import annotations

from collections.abc import Sequence

from .execution import Outcome, Sample, run_batch
from .sandbox import SandboxConfig

PROGRAMS_PER_TASK = 16  # a Python program takes ~15-30 ms: a task of ~0.5 s hides Ray's overhead
CPUS_PER_TASK = 1.0  # one program at a time, and a program keeps about one core busy


def run_on_ray(
    samples: Sequence[Sample],
    config: SandboxConfig,
    *,
    programs_per_task: int = PROGRAMS_PER_TASK,
    cpus_per_task: float = CPUS_PER_TASK,
    progress: bool = True,
) -> list[Outcome]:
    """Outcomes of ``samples`` (in their order), run as Ray tasks of ``programs_per_task``."""
    import ray
    from tqdm import tqdm

    if programs_per_task < 1:
        raise ValueError(f"programs_per_task must be at least 1, not {programs_per_task}")
    chunks = [
        list(samples[start : start + programs_per_task])
        for start in range(0, len(samples), programs_per_task)
    ]
    task = ray.remote(num_cpus=cpus_per_task)(run_batch)
    config_ref = ray.put(config)
    index = {task.remote(chunk, config_ref): i for i, chunk in enumerate(chunks)}
    results: list[list[Outcome] | None] = [None] * len(chunks)
    pending = list(index)
    with tqdm(
        total=len(samples), unit="program", desc="sandboxed execution", disable=not progress
    ) as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                results[index[ref]] = ray.get(ref)
                bar.update(len(chunks[index[ref]]))
    return [outcome for chunk_outcomes in results for outcome in chunk_outcomes]
