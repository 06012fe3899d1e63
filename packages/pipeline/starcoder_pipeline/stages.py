"""The stages of the recipe, in order: which job each runs, with which config, on what.

A stage is one of the project's jobs (``ray_jobs/<job>.py``) plus what the
pipeline must know about it: the stages whose outputs it reads, the packages
whose code decides its result (a change there reruns it), the file whose
presence proves it finished, and whether a rerun of an interrupted run picks
up where it stopped (curation and training checkpoint their progress; the
other jobs start again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from starcoder_attribution.jobs import IndexJob
from starcoder_data.jobs import CurateJob, PackTokensJob
from starcoder_eval.jobs import EvaluateJob
from starcoder_model.jobs import PretrainJob, TokenizerJob
from starcoder_pii.jobs import RedactJob

from .config import PipelineConfig
from .layout import RunLayout


@dataclass(frozen=True)
class Stage:
    name: str
    job: str  # ray_jobs/<job>.py, whose run(config) the stage calls
    folder: Callable[[RunLayout], object]  # the stage's output folder
    job_config: Callable[[PipelineConfig, RunLayout], Any]  # the job's config in this run
    upstream: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # packages/<name> whose code the stage runs
    done_marker: str = ""  # a file under the folder that only a finished run writes
    resumable: bool = False  # an interrupted run continues from its checkpoints
    # files read from outside the run (the corpus, a model, the benchmark cache)
    inputs: Callable[[PipelineConfig, Path], list[str]] = lambda config, repo: []

    def output(self, layout: RunLayout):
        return self.folder(layout)


def _curate(config: PipelineConfig, layout: RunLayout) -> CurateJob:
    return replace(config.curate, output=str(layout.curated))


def _curate_inputs(config: PipelineConfig, repo: Path) -> list[str]:
    from starcoder_data.readers import local_corpus_roots

    paths = [str(repo / config.curate.benchmark_cache)]  # decontamination reads the benchmarks
    for source in config.curate.sources:
        kind, _, location = source.partition(":")
        if kind == "local":
            paths += [root.path for root in local_corpus_roots()]
        else:  # a remote git URL is known by name only: rerun it with --force
            paths.append(location if "://" in location else str(Path(location).resolve()))
    optout = config.curate.optout
    return paths + ([str(Path(optout).resolve())] if optout else [])


def _redact(config: PipelineConfig, layout: RunLayout) -> RedactJob:
    return replace(config.redact, data=str(layout.curated / "data"), output=str(layout.redacted))


def _tokenizer(config: PipelineConfig, layout: RunLayout) -> TokenizerJob:
    return replace(config.tokenizer, data=str(layout.training_data), output=str(layout.tokenizer))


def _tokens(config: PipelineConfig, layout: RunLayout) -> PackTokensJob:
    return replace(
        config.tokens,
        data=str(layout.training_data),
        tokenizer=str(layout.tokenizer),
        output=str(layout.tokens),
    )


def _pretrain(config: PipelineConfig, layout: RunLayout) -> PretrainJob:
    return replace(
        config.pretrain,
        tokens=str(layout.tokens),
        tokenizer=str(layout.tokenizer),
        output=str(layout.pretrain),
    )


def _evaluate(config: PipelineConfig, layout: RunLayout) -> EvaluateJob:
    # held-out perplexity per language always: pack_tokens.py wrote the split under tokens/
    tasks = config.evaluate.tasks
    if "perplexity" not in tasks.split(","):
        tasks += ",perplexity"
    return replace(
        config.evaluate,
        checkpoint=str(layout.model),
        tasks=tasks,
        held_out=str(layout.tokens),
        output=str(layout.eval),
    )


def _evaluate_inputs(config: PipelineConfig, repo: Path) -> list[str]:
    return [str(repo / config.evaluate.benchmark_cache)]


def _index(config: PipelineConfig, layout: RunLayout) -> IndexJob:
    return replace(config.index, data=str(layout.training_data), output=str(layout.attribution))


STAGES: tuple[Stage, ...] = (
    Stage(
        "curate",
        "curate",
        lambda layout: layout.curated,
        _curate,
        packages=("data",),
        done_marker="report.json",
        resumable=True,
        inputs=_curate_inputs,
    ),
    Stage(
        "redact",
        "redact_pii",
        lambda layout: layout.redacted,
        _redact,
        upstream=("curate",),
        packages=("pii",),
        done_marker="report.json",
        inputs=lambda config, repo: [config.redact.model] if config.redact.model else [],
    ),
    Stage(
        "tokenizer",
        "train_tokenizer",
        lambda layout: layout.tokenizer,
        _tokenizer,
        upstream=("redact",),
        packages=("model",),
        done_marker="tokenizer_report.json",
    ),
    Stage(
        "tokens",
        "pack_tokens",
        lambda layout: layout.tokens,
        _tokens,
        upstream=("redact", "tokenizer"),
        packages=("data",),
        done_marker="manifest.json",
    ),
    Stage(
        "pretrain",
        "pretrain",
        lambda layout: layout.pretrain,
        _pretrain,
        upstream=("tokenizer", "tokens"),
        packages=("model",),
        done_marker="summary.json",
        resumable=True,
    ),
    Stage(
        "evaluate",
        "evaluate",
        lambda layout: layout.eval,
        _evaluate,
        upstream=("pretrain",),
        packages=("eval",),
        done_marker="summary.json",
        inputs=_evaluate_inputs,
    ),
    Stage(
        "index",
        "build_index",
        lambda layout: layout.attribution,
        _index,
        upstream=("redact",),
        packages=("attribution",),
        done_marker="manifest.json",
    ),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)
SERVE = "serve"  # the last step: not a batch stage, it runs until stopped
BY_NAME = {stage.name: stage for stage in STAGES}


def select_stages(names: str | None) -> list[Stage]:
    """The stages named in a comma list (all when empty), in the recipe's order."""
    if not names:
        return list(STAGES)
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(BY_NAME) - {SERVE})
    if unknown:
        raise ValueError(f"unknown stages {unknown}; the stages are {', '.join(STAGE_NAMES)}")
    return [stage for stage in STAGES if stage.name in wanted]


def downstream_of(names: set[str]) -> set[str]:
    """``names`` and every stage that reads, directly or not, what they write."""
    closed = set(names)
    for stage in STAGES:  # STAGES is in topological order
        if closed & set(stage.upstream):
            closed.add(stage.name)
    return closed
