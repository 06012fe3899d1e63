"""The settings of ``ray_jobs/evaluate.py``: what is evaluated, on which tasks, and how."""

from __future__ import annotations

import os
from dataclasses import dataclass

from starcoder_jobs.config import option

from .generation import SamplingConfig
from .ray_execution import PROGRAMS_PER_TASK
from .tasks import ALL_TASKS, BY_NAME, CODE, PERPLEXITY, TASKS

SOURCES = ("checkpoint", "url", "reference", "samples")  # what is evaluated: exactly one
UNTRUSTED_CODE = (
    "these tasks execute model-generated code, which is untrusted. It runs in a sandbox only "
    "if you opt in with --allow-code-execution (or pass --generation-only to write the "
    "samples without running them)"
)


@dataclass(frozen=True, kw_only=True)
class EvaluateJob:
    """A model (local checkpoint or an OpenAI-compatible URL), reference solutions or a
    samples file, scored on the registered tasks (:data:`starcoder_eval.tasks.REGISTRY`)."""

    checkpoint: str | None = option(
        None, "HF checkpoint folder (with tokenizer), or a hub id in the local Hugging Face cache"
    )
    url: str | None = option(None, "OpenAI-compatible base URL, e.g. http://host:8000/v1")
    reference: str | None = option(
        None,
        "score HumanEval's canonical solutions (or shuffled ones) instead of a model",
        choices=("canonical", "shuffled"),
    )
    samples: str | None = option(
        None, "score completions generated elsewhere: human-eval's samples.jsonl"
    )
    model: str | None = option(None, "model id for --url (default: the first served)")
    tasks: str = option("humaneval", f"comma list of {', '.join(ALL_TASKS)}")
    n: int = option(SamplingConfig.n, "samples per problem (StarCoder: 20)")
    temperature: float = option(SamplingConfig.temperature)
    top_p: float = option(SamplingConfig.top_p)
    greedy: bool = option(False, "one greedy sample per problem")
    max_new_tokens: int = option(SamplingConfig.max_new_tokens)
    batch_size: int = option(SamplingConfig.batch_size)
    seed: int = option(SamplingConfig.seed)
    k: str = option("1,10,100", "pass@k to report (k <= n)")
    limit: int | None = option(None, "first N problems of each task")
    prompted: bool = option(False, "StarCoder's prompted HumanEval")
    allow_code_execution: bool = option(False, "run the generated (untrusted) code in the sandbox")
    generation_only: bool = option(False, "write the samples without running them")
    sandbox: str = option("auto", choices=("auto", "bwrap", "os"))
    workers: int = option(os.cpu_count() or 2, "programs run at once (--execution threads)")
    execution: str = option(
        "auto",
        "where programs run: Ray tasks over the cluster, or the driver's threads "
        "(auto: ray when the job runs on Ray)",
        choices=("auto", "ray", "threads"),
    )
    programs_per_task: int = option(PROGRAMS_PER_TASK, "samples per Ray task (--execution ray)")
    actors: int = option(2, "model replicas (Ray actors)")
    gpus_per_actor: float = option(0.0, "GPUs of each replica (0: on CPU)")
    held_out: str | None = option(
        None, "perplexity data: pack_tokens.py's output (or its held_out/), never training files"
    )
    ppl_documents: int = option(200, "perplexity documents per language")
    benchmark_cache: str = option("data_cache/benchmarks")
    output: str = option("outputs/eval")
    address: str | None = option(None, "Ray address (default: RAY_ADDRESS)")

    def task_list(self) -> list[str]:
        """The tasks to run, in order (HumanEval alone for reference solutions)."""
        if self.reference:
            return ["humaneval"]
        return [t.strip() for t in self.tasks.split(",") if t.strip()]

    def ks(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.k.split(","))

    def sampling(self) -> SamplingConfig:
        return SamplingConfig(
            n=self.n,
            temperature=self.temperature,
            top_p=self.top_p,
            max_new_tokens=self.max_new_tokens,
            greedy=self.greedy,
            seed=self.seed,
            batch_size=self.batch_size,
        )

    def source(self) -> str:
        """What is evaluated, as results files name it."""
        return self.checkpoint or self.url or self.samples or f"reference:{self.reference}"

    def check(self) -> None:
        """``ValueError`` for a combination no run can do, before anything starts."""
        given = [name for name in SOURCES if getattr(self, name)]
        if len(given) > 1:
            raise ValueError(f"give one of --checkpoint, --url, --reference, --samples: {given}")
        tasks = self.task_list()
        unknown = sorted(set(tasks) - set(ALL_TASKS))
        if unknown:
            raise ValueError(f"unknown tasks {unknown}; known: {', '.join(ALL_TASKS)}")
        kinds = {BY_NAME[t].kind for t in tasks}
        if self.samples and kinds != {CODE}:
            raise ValueError(f"--samples scores code tasks only: {', '.join(TASKS)}")
        if not given:
            raise ValueError("give --checkpoint, --url, --reference or --samples")
        if CODE in kinds and not (self.allow_code_execution or self.generation_only):
            raise ValueError(UNTRUSTED_CODE)
        if PERPLEXITY in kinds:
            if not (self.held_out and self.checkpoint):
                raise ValueError("perplexity needs --checkpoint and --held-out TOKENS_DIR")
            from starcoder_data.tokens import HeldOutError, open_held_out

            try:
                open_held_out(self.held_out)
            except HeldOutError as error:
                raise ValueError(str(error)) from None


__all__ = ["EvaluateJob"]
