"""Sandboxed execution on Ray tasks gives the same outcomes, in the same order, as threads."""

from __future__ import annotations

import json
import warnings

import pytest
from starcoder_eval.execution import Sample, run_samples
from starcoder_eval.ray_execution import run_on_ray
from starcoder_eval.sandbox import Sandbox, SandboxConfig
from starcoder_eval.tasks import load_humaneval

from ray_jobs import evaluate

pytestmark = pytest.mark.integration


def mixed_samples() -> list[Sample]:
    """Seven problems, four kinds of completion each: every outcome kind but a timeout."""
    kinds = (None, "    return None\n", "    import sys\n    sys.exit(0)\n", "    return (\n")
    return [
        Sample(problem=p, completion_id=c, completion=text or p.canonical_solution)
        for p in load_humaneval()[:7]
        for c, text in enumerate(kinds)
    ]


def verdicts(outcomes) -> list[tuple]:
    return [(o.task_id, o.completion_id, o.passed, o.status, o.error_kind) for o in outcomes]


def test_ray_tasks_and_threads_agree_sample_by_sample(ray_cluster):
    samples = mixed_samples()
    config = SandboxConfig()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        threads = run_samples(samples, Sandbox(config), workers=2)
    # 28 samples in tasks of 5: five full chunks and a last one of 3.
    on_ray = run_on_ray(samples, config, programs_per_task=5, progress=False)
    assert verdicts(on_ray) == verdicts(threads)
    assert [o.status for o in on_ray[:4]] == ["passed", "failed", "failed", "error"]
    assert [o.error_kind for o in on_ray[:4]] == [
        None,
        "AssertionError",
        "early_exit",
        "SyntaxError",
    ]
    one = run_on_ray(samples[:1], config, progress=False)
    assert verdicts(one) == verdicts(threads[:1])
    assert run_on_ray([], config, progress=False) == []
    with pytest.raises(ValueError, match="at least 1"):
        run_on_ray(samples, config, programs_per_task=0)


def test_evaluate_job_scores_the_same_on_ray_and_on_threads(ray_cluster, tmp_path):
    runs = {}
    for execution in ("ray", "threads"):
        output = tmp_path / execution
        argv = [
            "--reference", "shuffled", "--limit", "9", "--allow-code-execution",
            "--execution", execution, "--programs-per-task", "4", "--output", str(output),
        ]  # fmt: skip
        (summary,) = evaluate.run(evaluate.parse_args(argv)).tasks
        task = json.loads((output / "humaneval.json").read_text())
        assert task["execution"] == execution
        runs[execution] = (
            summary.pass_at_k,
            [(s["task_id"], s["passed"], s["status"], s["error_kind"]) for s in task["samples"]],
        )
    assert runs["ray"] == runs["threads"]
    assert len(runs["ray"][1]) == 9
