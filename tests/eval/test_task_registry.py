"""The evaluation tasks are one table: the job, the model card and the checks all read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from starcoder_eval.jobs import EvaluateJob
from starcoder_eval.tasks import ALL_TASKS, CODE, REGISTRY, TASKS, get_task, load_task
from starcoder_jobs.config import build_parser

CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"


def test_each_task_is_one_row_with_what_its_kind_needs():
    names = [task.name for task in REGISTRY]
    assert len(names) == len(set(names)) and tuple(names) == ALL_TASKS
    assert TASKS == ("humaneval", "mbpp", "multiple-cpp", "multiple-java", "multiple-cs",
                     "multiple-py")  # fmt: skip
    for task in REGISTRY:
        assert (task.load is not None) == (task.kind == CODE), task.name
        assert task.language or task.kind != CODE, task.name
        dataset_type, dataset_name, _ = task.model_index
        assert dataset_type and dataset_name, task.name


@pytest.mark.parametrize("name", ["multiple-cpp", "mbpp"])
def test_a_registered_code_task_loads_in_its_language(name):
    problems = load_task(name, cache_dir=CACHE)
    assert problems and {p.language for p in problems} == {get_task(name).language}


def test_unknown_and_non_code_tasks_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown task 'humaneval-x'.*humaneval, mbpp"):
        get_task("humaneval-x")
    with pytest.raises(ValueError, match="not a code-generation task"):
        load_task("fim", cache_dir=CACHE)
    with pytest.raises(ValueError, match="unknown tasks"):
        EvaluateJob(checkpoint="c", tasks="humaneval,nope", allow_code_execution=True).check()


def test_the_job_help_and_the_model_card_name_tasks_from_the_registry():
    from starcoder_pipeline.run_facts import _benchmark

    (tasks,) = [a for a in build_parser(EvaluateJob)._actions if a.dest == "tasks"]
    assert all(name in tasks.help for name in ALL_TASKS)
    assert _benchmark("multiple-java") == get_task("multiple-java").model_index
    assert _benchmark("fim-single-line")[1] == "HumanEval single-line infilling"
    assert _benchmark("a-task-of-someone-else") == ("a-task-of-someone-else",) * 2 + (None,)
