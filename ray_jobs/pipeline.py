"""The whole StarCoder recipe in one command: raw code in, a served, attributed model out.

    python ray_jobs/pipeline.py                      # this machine's code, tiny model, then serve
    python ray_jobs/pipeline.py --no-serve           # stop after the summary
    python ray_jobs/pipeline.py --preset micro --source directory:~/my-repos --output /tmp/run
    python ray_jobs/pipeline.py --force tokenizer    # rerun the tokenizer and all after it
    python ray_jobs/pipeline.py --address http://HEAD:8265 --preset gpu-1b --output /shared/run

Stages, each one of the project's jobs: curate -> redact (PII) -> tokenizer ->
tokens -> pretrain -> evaluate -> index, then the model card is written into
the checkpoint, the summary printed, and the model served with its playground
until Ctrl-C. A rerun skips every stage whose inputs (arguments, code, the
files it reads, the stages before it) did not change, and resumes an
interrupted curation or training from its checkpoints.

Run locally it starts one local Ray and runs the stages in this process. With
``--address`` (a cluster's dashboard URL) every stage is submitted as its own
Ray job (the stage's run of this script with ``--run-stage``), so the skip
decisions and the outputs live on the cluster; ``--output`` must then be
storage every node sees.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from starcoder_jobs.config import to_argv
from starcoder_jobs.ray_runtime import init_ray
from starcoder_pipeline.config import PIPELINE_PRESETS, PipelineConfig, pipeline_config
from starcoder_pipeline.fingerprint import read_record, start_record, write_record
from starcoder_pipeline.layout import RunLayout
from starcoder_pipeline.model_card import write_model_card
from starcoder_pipeline.plan import PlannedStage, plan_run
from starcoder_pipeline.run_facts import collect_card_facts
from starcoder_pipeline.stages import STAGE_NAMES
from starcoder_pipeline.summary import StageOutcome, build_summary, format_summary, write_summary
from starcoder_serve.jobs import ServeJob

REPO = Path(__file__).resolve().parents[1]
SUMMARY = "summary"  # --run-stage summary: the model card and the summary, on the cluster
UPLOAD_EXCLUDES = [".venv", ".git", "outputs", "test-artifacts", "**/__pycache__", "*.egg-info"]
TITLES = {
    "curate": "curate the code (language, license, quality, near-dedup, decontamination)",
    "redact": "redact PII (names, emails, keys, passwords, IP addresses)",
    "tokenizer": "train the byte-level BPE tokenizer",
    "tokens": "tokenize and pack (metadata, fill-in-the-middle)",
    "pretrain": "pretrain the model (Ray Train + DeepSpeed)",
    "evaluate": "evaluate (sandboxed execution)",
    "index": "build the attribution index (membership filter + full-text search)",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="laptop", choices=sorted(PIPELINE_PRESETS))
    parser.add_argument("--output", default="outputs", help="the run's folder (one per stage)")
    parser.add_argument(
        "--source",
        action="append",
        default=None,
        metavar="KIND[:LOCATION]",
        help="curate.py sources (repeatable; default: local, this machine's own code)",
    )
    parser.add_argument("--max-repos", type=int, help="read at most this many repos per source")
    parser.add_argument("--optout", help="opt-out list: one owner or owner/repo per line")
    parser.add_argument("--pii-model", help="PII NER model for redaction (default: the baseline)")
    parser.add_argument("--weights-license", help="license of the published weights (model card)")
    parser.add_argument(
        "--stages", help=f"comma list of stages to run (default: all of {','.join(STAGE_NAMES)})"
    )
    parser.add_argument(
        "--force",
        action="append",
        default=[],
        metavar="STAGE",
        help="rerun this stage and every stage after it even if unchanged (all: every stage)",
    )
    parser.add_argument("--no-serve", action="store_true", help="stop after the summary")
    parser.add_argument("--no-browser", action="store_true", help="do not open the playground")
    parser.add_argument("--host", default="127.0.0.1", help="where the API and playground listen")
    parser.add_argument("--port", type=int, default=8000, help="API port")
    parser.add_argument("--playground-port", type=int, default=7860)
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all)")
    parser.add_argument(
        "--address",
        help="a running cluster's Ray dashboard (http://HEAD:8265): submit each stage as a Ray job",
    )
    parser.add_argument(
        "--working-dir", default=str(REPO), help="code shipped with each job (with --address)"
    )
    parser.add_argument(
        "--cluster-repo",
        help="the project's folder on every node (cluster.yaml: ~/starcoder-ray): run the "
        "jobs there instead of shipping --working-dir (--address)",
    )
    parser.add_argument(
        "--job-python", default="python", help="the cluster's Python for the jobs (--address)"
    )
    parser.add_argument("--run-stage", help=argparse.SUPPRESS)  # what --address submits
    parser.add_argument("--config-json", help=argparse.SUPPRESS)  # with it: the whole config
    args = parser.parse_args(argv)
    args.force = [name for value in args.force for name in value.split(",") if name]
    return args


def build_config(args: argparse.Namespace) -> PipelineConfig:
    if args.config_json:  # a stage of a cluster run: the driver's config, as it was
        return PipelineConfig.from_json(args.config_json)
    return pipeline_config(
        args.preset,
        sources=tuple(args.source) if args.source else None,
        max_repos=args.max_repos,
        optout=args.optout,
        pii_model=str(Path(args.pii_model).resolve()) if args.pii_model else None,
        weights_license=args.weights_license,
    )


@dataclass
class PipelineResult:
    summary: dict
    outcomes: list[StageOutcome]
    services: object | None = None  # serve.RunningServices while the model is served
    urls: dict[str, str] = field(default_factory=dict)


def _outcome(planned: PlannedStage, action: str, seconds: float | None = None) -> StageOutcome:
    return StageOutcome(planned.stage.name, action, planned.decision.reason, seconds)


def print_plan(plan: list[PlannedStage]) -> None:
    print("StarCoder pipeline: the plan", flush=True)
    for planned in plan:
        if not planned.selected:
            what = "not selected"
        else:
            what = {"skip": "skip", "run": "run", "resume": "resume"}[planned.decision.action]
        print(f"  {planned.stage.name:<10} {what:<13} {planned.decision.reason}", flush=True)


class StageFailed(RuntimeError):
    pass


def run_stage_here(planned: PlannedStage, layout: RunLayout, position: str = "") -> StageOutcome:
    """Run one stage's job in this process (on the Ray this process is connected to)."""
    stage = planned.stage
    if not planned.selected:
        return _outcome(planned, "not selected")
    if not planned.decision.runs:
        print(f"\n{position}{stage.name}: skipped ({planned.decision.reason})", flush=True)
        return _outcome(planned, "skipped")
    config = planned.job_config()
    print(f"\n{position}{stage.name}: {TITLES[stage.name]} ({planned.decision.reason})", flush=True)
    print(f"  python ray_jobs/{stage.job}.py {shlex.join(to_argv(config))}", flush=True)
    record = start_record(layout, stage.name, planned.fingerprint, config)
    started = time.perf_counter()
    try:
        run_job(stage.job, config)
    except (Exception, SystemExit) as error:  # SystemExit: a job's own clear error message
        record.status, record.seconds = "failed", round(time.perf_counter() - started, 1)
        write_record(layout, record)
        raise StageFailed(
            f"stage {stage.name} failed: {error}. Fix the cause and rerun the same command: "
            "finished stages are skipped"
            + (", this one resumes from its checkpoints" if stage.resumable else "")
        ) from error
    record.status, record.seconds = "done", round(time.perf_counter() - started, 1)
    write_record(layout, record)
    action = "resumed" if planned.decision.action == "resume" else "ran"
    return _outcome(planned, action, record.seconds)


def publish(layout: RunLayout, config: PipelineConfig) -> None:
    """Write the model card into the published checkpoint (when there is one)."""
    if (layout.model / "config.json").is_file():
        facts = collect_card_facts(layout, weights_license=config.weights_license)
        write_model_card(layout.model, facts)


def summarise(layout: RunLayout, config, outcomes, urls=None) -> dict:
    summary = build_summary(
        collect_card_facts(layout, weights_license=config.weights_license), layout, outcomes, urls
    )
    write_summary(layout, summary)
    print(format_summary(summary), flush=True)
    return summary


def run_job(job: str, config) -> object:
    """``ray_jobs/<job>.py``'s ``run(config)``: its report."""
    return importlib.import_module(f"ray_jobs.{job}").run(config)


def _serve_job(args, layout: RunLayout, config: PipelineConfig, browser: bool = True) -> ServeJob:
    index = layout.attribution if (layout.attribution / "manifest.json").is_file() else None
    return ServeJob(
        checkpoint=str(layout.model),
        host=args.host,
        port=args.port,
        playground_port=args.playground_port,
        num_gpus=config.serve.num_gpus,
        max_replicas=config.serve.max_replicas,
        attribution_index=str(index) if index else None,
        no_browser=not browser or args.no_browser,
    )


def run_pipeline(argv: list[str] | None = None) -> PipelineResult:
    """Run every stage locally, publish, serve (unless --no-serve) and summarise; no blocking."""
    args = parse_args(argv)
    config, layout = build_config(args), RunLayout.at(Path(args.output).resolve())
    if args.address:
        return submit_pipeline(args, config, layout)
    plan = plan_run(config, layout, REPO, args.stages, tuple(args.force))
    if args.run_stage:
        return run_one_stage(args, config, layout, plan)
    print_plan(plan)
    if any(planned.runs for planned in plan) or not args.no_serve:
        init_ray(num_cpus=args.num_cpus)
    outcomes = []
    for i, planned in enumerate(plan, 1):
        outcomes.append(run_stage_here(planned, layout, f"[{i}/{len(plan)}] "))
    publish(layout, config)
    services, urls = None, {}
    if not args.no_serve:
        from ray_jobs import serve as serve_job

        services = serve_job.start_services(_serve_job(args, layout, config))
        urls = {"API": f"{services.api_url}/v1/completions"}
        if services.playground_url:
            urls["playground"] = services.playground_url
    summary = summarise(layout, config, outcomes, urls)
    return PipelineResult(summary, outcomes, services, urls)


def run_one_stage(args, config, layout, plan) -> PipelineResult:
    """One stage of a cluster run, inside its Ray job: the same plan, decided on the cluster."""
    if args.run_stage == SUMMARY:
        publish(layout, config)
        outcomes = [_recorded_outcome(layout, planned) for planned in plan]
        return PipelineResult(summarise(layout, config, outcomes), outcomes)
    (planned,) = [p for p in plan if p.stage.name == args.run_stage]
    if planned.runs:
        init_ray()
    outcome = run_stage_here(planned, layout)
    return PipelineResult({}, [outcome])


def _recorded_outcome(layout: RunLayout, planned: PlannedStage) -> StageOutcome:
    record = read_record(layout, planned.stage.name)
    if record is None:
        return StageOutcome(planned.stage.name, "not run", "no record")
    return StageOutcome(planned.stage.name, record.status, planned.decision.reason, record.seconds)


# --- cluster mode: every stage a Ray job -------------------------------------------------


def _stage_entrypoint(args, config: PipelineConfig, layout: RunLayout, stage: str) -> list[str]:
    """``pipeline.py --run-stage`` for one stage: the driver's config travels as JSON."""
    return [
        *shlex.split(f"{args.job_python} ray_jobs/pipeline.py"),
        "--output", str(layout.root),
        "--config-json", config.to_json(),
        *[arg for name in args.force for arg in ("--force", name)],
        "--run-stage", stage,
    ]  # fmt: skip


def _submit(client, entrypoint: str, runtime_env: dict, deadline_s: float = 120.0) -> str:
    """Submit a job, waiting for a just-started cluster's job agent to come up."""
    give_up = time.monotonic() + deadline_s
    while True:
        try:
            return client.submit_job(entrypoint=entrypoint, runtime_env=runtime_env)
        except RuntimeError as error:
            if "No available agent" not in str(error) or time.monotonic() > give_up:
                raise
            time.sleep(1.0)


async def _follow(client, job_id: str) -> None:
    async for lines in client.tail_job_logs(job_id):
        print(lines, end="", flush=True)


def _run_job(client, name: str, entrypoint: str, runtime_env: dict) -> float:
    started = time.perf_counter()
    job_id = _submit(client, entrypoint, runtime_env)
    print(f"\n== {name}: Ray job {job_id}: {entrypoint}", flush=True)
    asyncio.run(_follow(client, job_id))
    status = str(client.get_job_status(job_id)).rsplit(".", 1)[-1]
    if status != "SUCCEEDED":
        raise StageFailed(
            f"stage {name} (Ray job {job_id}) ended {status}; see `ray job logs {job_id}`. "
            "Rerun the same command: finished stages are skipped"
        )
    return round(time.perf_counter() - started, 1)


def submit_pipeline(args, config: PipelineConfig, layout: RunLayout) -> PipelineResult:
    """Submit each selected stage, then the summary, as Ray jobs; serve as a lasting job."""
    from ray.job_submission import JobSubmissionClient

    if not Path(args.output).is_absolute():
        raise SystemExit(
            "error: with --address, --output must be an absolute path every node of the "
            "cluster sees (shared storage), e.g. --output /shared/run"
        )
    client = JobSubmissionClient(args.address)
    if args.cluster_repo:  # the code is already on the nodes: nothing to ship
        runtime_env = {}
        prefix = f"cd {shlex.quote(args.cluster_repo)} && "
    else:
        runtime_env = {"working_dir": args.working_dir, "excludes": UPLOAD_EXCLUDES}
        prefix = ""
    selected = [name for name in STAGE_NAMES if not args.stages or name in args.stages.split(",")]
    outcomes = []
    for name in [*selected, SUMMARY]:  # every job runs from the project's folder
        entrypoint = prefix + shlex.join(_stage_entrypoint(args, config, layout, name))
        seconds = _run_job(client, name, entrypoint, runtime_env)
        if name != SUMMARY:
            outcomes.append(StageOutcome(name, "job", "", seconds))
    result = PipelineResult({}, outcomes)
    if not args.no_serve:
        serve_job = _serve_job(args, layout, config, browser=False)
        serve_entry = prefix + shlex.join(
            [*shlex.split(f"{args.job_python} ray_jobs/serve.py"), *to_argv(serve_job)]
        )
        job_id = _submit(client, serve_entry, runtime_env)
        print(
            f"\nserving as Ray job {job_id}: API on port {args.port} and playground on port "
            f"{args.playground_port} of the node running it (`ray job logs {job_id} -f`); stop "
            f"it with `ray job stop {job_id}`",
            flush=True,
        )
        result.urls = {"serve job": job_id}
    return result


def main(argv: list[str] | None = None) -> int:
    try:
        result = run_pipeline(argv)
    except StageFailed as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 1
    if result.services is not None:
        from ray_jobs import serve as serve_job

        print("serving until Ctrl-C", flush=True)
        serve_job.serve_until_interrupted(result.services)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
