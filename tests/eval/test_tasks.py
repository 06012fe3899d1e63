"""Benchmark loading: sizes, prompts, stop sequences and the program a completion makes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from starcoder_eval.benchmark_files import FILE_SHA256, fetch_benchmark_files
from starcoder_eval.tasks import (
    HUMANEVAL_STOP,
    PROMPTED_PREFIX,
    load_humaneval,
    load_task,
    program_text,
    with_prompted_prefix,
)

CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"


@pytest.fixture(scope="module")
def cache():
    fetch_benchmark_files(CACHE)  # a no-op once the install step has fetched them
    return CACHE


def test_humaneval_has_164_problems_with_tests_that_call_check():
    problems = load_humaneval()
    assert len(problems) == 164
    first = problems[0]
    assert first.task_id == "HumanEval/0" and first.language == "python"
    assert first.tests.rstrip().endswith(f"check({first.entry_point})")
    assert first.stop_sequences == HUMANEVAL_STOP and first.canonical_solution


def test_humaneval_stops_are_the_bigcode_harness_stop_words():
    # bigcode_eval/tasks/humaneval.py: GeneralHumanEval.__init__ stop_words, in order
    assert HUMANEVAL_STOP == (
        "\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\n```", "<file_sep>"
    )  # fmt: skip
    assert {p.stop_sequences for p in load_humaneval()} == {HUMANEVAL_STOP}


def test_benchmark_files_are_cached_with_their_checksums(cache):
    assert sorted(p.name for p in cache.iterdir() if p.name in FILE_SHA256) == sorted(FILE_SHA256)
    for name, digest in FILE_SHA256.items():
        assert hashlib.sha256((cache / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    ("task", "stops"),
    [
        ("mbpp", ("\ndef", "\n#", "\nif", "\nclass", "<file_sep>")),
        ("multiple-cpp", ("\n}", "<file_sep>")),
        ("multiple-java", ("\n    }\n", "<file_sep>")),
    ],
)
def test_multipl_e_stops_are_the_datasets_plus_the_harness_extra(cache, task, stops):
    # bigcode_eval/tasks/multiple.py: stop_tokens of the dataset + ["<file_sep>"]
    assert {p.stop_sequences for p in load_task(task, cache_dir=cache)} == {stops}


@pytest.mark.parametrize(
    ("task", "size", "language", "stop"),
    [
        ("mbpp", 397, "python", "\ndef"),
        ("multiple-cpp", 161, "cpp", "\n}"),
        ("multiple-java", 158, "java", "\n    }\n"),
    ],
)
def test_multipl_e_tasks(cache, task, size, language, stop):
    problems = load_task(task, cache_dir=cache)
    assert len(problems) == size
    assert {p.language for p in problems} == {language}
    assert stop in problems[0].stop_sequences


def test_prompted_variant_prefixes_python_prompts_only_and_runs_the_same_program():
    problem = load_humaneval()[0]
    prompted = with_prompted_prefix(problem)
    assert prompted.prompt == PROMPTED_PREFIX + problem.prompt
    assert program_text(prompted, "    pass\n") == program_text(problem, "    pass\n")
    assert program_text(problem, "    pass\n").startswith(problem.prompt + "    pass\n")


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        load_task("apps")
