"""Completions run against their tests in each language, and how outcomes are named."""

from __future__ import annotations

import pytest
from bracketing import CPP_SOLUTION, JAVA_SOLUTION
from starcoder_eval.execution import (
    Sample,
    available_languages,
    classify,
    run_sample,
    run_samples,
    unsupported_reason,
)
from starcoder_eval.sandbox import ExecutionResult
from starcoder_eval.tasks import Problem, load_humaneval

BRACKETS_CPP = Problem(
    task_id="HumanEval_56_correct_bracketing",
    language="cpp",
    prompt=(
        "#include<assert.h>\n#include<string>\nbool correct_bracketing(std::string brackets) {\n"
    ),
    tests=(
        "}\nint main() {\n    auto candidate = correct_bracketing;\n"
        '    assert(candidate(("<>")) == (true));\n    assert(candidate(("><")) == (false));\n}\n'
    ),
    stop_sequences=("\n}",),
)
BRACKETS_JAVA = Problem(
    task_id="HumanEval_56_correct_bracketing",
    language="java",
    prompt=(
        "import java.util.*;\nimport org.javatuples.*;\nclass Problem {\n"
        "    public static boolean correctBracketing(String brackets) {\n"
    ),
    tests=(
        "    }\n    public static void main(String[] args) {\n"
        '    assert(correctBracketing(("<>")) == (true));\n'
        '    assert(correctBracketing(("><")) == (false));\n    }\n\n}\n'
    ),
    stop_sequences=("\n    }\n",),
)
def outcome(sandbox, problem, completion):
    return run_sample(Sample(problem=problem, completion_id=0, completion=completion), sandbox)


def test_python_outcomes_are_named(sandbox):
    problem = load_humaneval()[0]
    assert outcome(sandbox, problem, problem.canonical_solution).passed
    wrong = outcome(sandbox, problem, "    return False\n")
    assert (wrong.status, wrong.error_kind) == ("failed", "AssertionError")
    broken = outcome(sandbox, problem, "    return (\n")
    assert (broken.status, broken.error_kind) == ("error", "SyntaxError")
    slow = outcome(sandbox, problem, "    while True:\n        pass\n")
    assert (slow.status, slow.error_kind) == ("timeout", "Timeout")


@pytest.mark.parametrize(
    ("problem", "solution"), [(BRACKETS_CPP, CPP_SOLUTION), (BRACKETS_JAVA, JAVA_SOLUTION)]
)
def test_compiled_languages_pass_fail_and_fail_to_compile(sandbox, problem, solution):
    if unsupported_reason(problem):
        pytest.skip(unsupported_reason(problem))
    indent = "        " if problem.language == "java" else "    "
    results = run_samples(
        [
            Sample(problem=problem, completion_id=0, completion=solution),
            Sample(problem=problem, completion_id=1, completion=f"{indent}return true;\n"),
            Sample(problem=problem, completion_id=2, completion=f"{indent}return x;\n"),
        ],
        sandbox,
        workers=3,
    )
    assert [(r.status, r.error_kind) for r in results] == [
        ("passed", None),
        ("failed", "AssertionError"),
        ("compile_error", "CompileError"),
    ]


def test_cpp_body_without_return_is_an_error_not_a_lucky_pass(sandbox):
    if unsupported_reason(BRACKETS_CPP):
        pytest.skip(unsupported_reason(BRACKETS_CPP))
    result = outcome(sandbox, BRACKETS_CPP, "\n\n")
    assert (result.status, result.error_kind) == ("error", "MissingReturn")


def test_toolchains_are_detected_and_missing_ones_explained():
    languages = available_languages()
    assert languages["python"]
    for name, present in languages.items():
        problem = Problem(task_id="t", language=name, prompt="", tests="", stop_sequences=())
        assert (unsupported_reason(problem) is None) == present


def test_java_problems_that_need_javatuples_are_skipped():
    problem = Problem(
        task_id="t", language="java", prompt="Pair<Long, Long> f() {", tests="", stop_sequences=()
    )
    if available_languages()["java"]:
        assert "javatuples" in unsupported_reason(problem)


def test_classify_reads_signals_exit_codes_and_the_completion_marker():
    def verdict(**kw):
        base = {"status": "error", "returncode": 1, "stdout": "", "stderr": "", "duration_s": 0.0}
        return classify(ExecutionResult(**(base | kw)), completion_marker="f00d")

    ok = {"status": "ok", "returncode": 0}
    assert verdict(**ok, stdout="noise\nf00d\n") == ("passed", None)
    assert verdict(**ok, stdout="noise\n", stdout_tail="x\nf00d\n") == ("passed", None)
    assert verdict(**ok, stdout="") == ("failed", "early_exit")  # exit 0, no marker
    assert verdict(**ok, stdout="f00d\nlater\n") == ("failed", "early_exit")  # not last
    assert verdict(**ok, stdout="f00d0\n") == ("failed", "early_exit")  # not exact
    assert verdict(stdout="f00d\n") == ("failed", "early_exit")  # marker, then status 1
    assert verdict(returncode=3) == ("failed", "early_exit")  # sys.exit(3), exit(3)
    assert verdict(returncode=134) == ("failed", "early_exit")  # abort() under bubblewrap
    assert verdict(returncode=-6, signal="SIGABRT") == ("failed", "early_exit")
    assert verdict(stderr="Traceback (most recent call last):\nKeyboardInterrupt\n") == (
        "failed",
        "early_exit",
    )
    assert verdict(returncode=-9, signal="SIGKILL") == ("error", "SIGKILL")
    assert verdict(returncode=139) == ("error", "Signal11")
    assert verdict(stderr="RecursionError: maximum") == ("error", "RecursionError")
    assert verdict(stderr="Traceback (most recent call last):\n  x\nStopIteration\n") == (
        "error",
        "StopIteration",
    )
    assert verdict(stderr='Exception in thread "main" java.lang.NullPointerException\n') == (
        "error",
        "NullPointerException",
    )
    cpp = "terminate called after throwing an instance of 'std::out_of_range'\n"
    assert verdict(returncode=134, stderr=cpp) == ("error", "out_of_range")
    assert verdict(stderr="main: main.cpp:9: Assertion `x' failed.") == (
        "failed",
        "AssertionError",
    )
    assert verdict(status="timeout", returncode=None) == ("timeout", "Timeout")
    assert verdict(stderr="__COMPILE_FAILED__\nerror") == ("compile_error", "CompileError")
