"""The plan of one run: for every stage its arguments, fingerprint and what to do with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import PipelineConfig
from .fingerprint import (
    Decision,
    code_signature,
    decide,
    read_record,
    stage_fingerprint,
    tree_signature,
)
from .layout import RunLayout
from .stages import STAGES, Stage, downstream_of, select_stages

# jobs that refuse a non-empty output folder unless told to replace it
_OVERWRITE_FLAG = {"curate", "redact", "tokens", "pretrain", "index"}


@dataclass(frozen=True)
class PlannedStage:
    stage: Stage
    arguments: list[str]  # the job's arguments, as the plan will pass them
    fingerprint: str
    decision: Decision
    selected: bool

    @property
    def runs(self) -> bool:
        return self.selected and self.decision.runs

    def job_arguments(self) -> list[str]:
        """The arguments for this run: a fresh run replaces what an older one left behind."""
        fresh = self.decision.action == "run" and self.stage.name in _OVERWRITE_FLAG
        return self.arguments + (["--overwrite"] if fresh else [])


def plan_run(
    config: PipelineConfig,
    layout: RunLayout,
    repo: Path,
    stages: str | None = None,
    force: tuple[str, ...] = (),
) -> list[PlannedStage]:
    """Every stage in order; ``stages`` (a comma list) limits which run, ``force`` reruns
    the named stages (``all`` for every one) and all that follow them."""
    selected = {stage.name for stage in select_stages(stages)}
    forced_names = set(force)
    if "all" in forced_names:
        forced_names = {stage.name for stage in STAGES}
    select_stages(",".join(forced_names - {"all"}))  # rejects unknown names
    forced = downstream_of(forced_names)
    fingerprints: dict[str, str] = {}
    plan = []
    for stage in STAGES:
        arguments = stage.arguments(config, layout)
        fingerprint = stage_fingerprint(
            stage,
            arguments,
            layout,
            code=code_signature(repo, stage),
            external=tree_signature(stage.inputs(config, repo), repo),
            upstream=fingerprints,
        )
        fingerprints[stage.name] = fingerprint
        record = read_record(layout, stage.name)
        output = Path(stage.output(layout))
        decision = decide(stage, fingerprint, record, output, stage.name in forced)
        plan.append(PlannedStage(stage, arguments, fingerprint, decision, stage.name in selected))
    return plan
