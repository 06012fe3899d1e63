"""Code benchmarks, sandboxed execution and pass@k.

:mod:`.tasks` loads HumanEval, MBPP and MultiPL-E as :class:`Problem`\\ s;
:mod:`.generation` draws completions from a local checkpoint or an
OpenAI-compatible server; :mod:`.sandbox` and :mod:`.execution` run them
against the tests, contained; :mod:`.pass_at_k`, :mod:`.fim`,
:mod:`.perplexity` and :mod:`.report` turn the outcomes into StarCoder's figures.
"""

from .benchmark_files import benchmark_file, fetch_benchmark_files
from .codegen import (
    TaskResult,
    build_requests,
    completion_from_generation,
    reference_samples,
    score_task,
    to_samples,
)
from .execution import (
    EARLY_EXIT,
    RUNNERS,
    Outcome,
    Runner,
    Sample,
    available_languages,
    classify,
    not_run,
    run_batch,
    run_sample,
    run_samples,
    unsupported_reason,
)
from .fim import (
    FIM_LANGUAGES,
    FimExample,
    exact_match,
    fim_requests,
    load_fim_problems,
    score_fim,
    single_line_examples,
)
from .generation import (
    GenerationRequest,
    Generator,
    LocalGenerator,
    OpenAIGenerator,
    SamplingConfig,
    fim_prompt,
    truncate_at_stop,
)
from .pass_at_k import estimate_pass_at_k, pass_at_k
from .perplexity import (
    PerplexityConfig,
    checkpoint_perplexity,
    perplexity_by_language,
    read_documents,
)
from .report import (
    harness_config,
    harness_generations,
    harness_results,
    write_json,
    write_samples_jsonl,
    write_task_json,
)
from .samples_file import SamplesFile, read_samples_jsonl
from .sandbox import ExecutionResult, Isolation, Sandbox, SandboxConfig, detect_isolation
from .summary import EvaluationSummary, TaskSummary, format_table
from .tasks import (
    HUMANEVAL_STOP,
    PROMPTED_PREFIX,
    TASKS,
    Problem,
    load_humaneval,
    load_task,
    program_text,
    with_prompted_prefix,
)

__all__ = [
    "EARLY_EXIT",
    "FIM_LANGUAGES",
    "HUMANEVAL_STOP",
    "PROMPTED_PREFIX",
    "RUNNERS",
    "TASKS",
    "ExecutionResult",
    "FimExample",
    "GenerationRequest",
    "Generator",
    "Isolation",
    "LocalGenerator",
    "OpenAIGenerator",
    "Outcome",
    "PerplexityConfig",
    "Problem",
    "Runner",
    "Sample",
    "SamplingConfig",
    "SamplesFile",
    "Sandbox",
    "SandboxConfig",
    "TaskResult",
    "available_languages",
    "benchmark_file",
    "build_requests",
    "checkpoint_perplexity",
    "classify",
    "completion_from_generation",
    "detect_isolation",
    "estimate_pass_at_k",
    "exact_match",
    "fetch_benchmark_files",
    "fim_prompt",
    "fim_requests",
    "EvaluationSummary",
    "TaskSummary",
    "format_table",
    "harness_config",
    "harness_generations",
    "harness_results",
    "load_fim_problems",
    "load_humaneval",
    "load_task",
    "not_run",
    "pass_at_k",
    "perplexity_by_language",
    "program_text",
    "read_documents",
    "read_samples_jsonl",
    "reference_samples",
    "run_batch",
    "run_sample",
    "run_samples",
    "score_fim",
    "score_task",
    "single_line_examples",
    "to_samples",
    "truncate_at_stop",
    "unsupported_reason",
    "write_json",
    "write_samples_jsonl",
    "write_task_json",
    "with_prompted_prefix",
]
