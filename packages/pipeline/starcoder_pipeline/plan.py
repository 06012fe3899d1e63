"""The plan of one run: for every stage its job config, fingerprint and what to do with it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class PlannedStage:
    stage: Stage
    config: Any  # the job's config (a frozen dataclass), as the plan will pass it
    fingerprint: str
    decision: Decision
    selected: bool

    @property
    def runs(self) -> bool:
        return self.selected and self.decision.runs

    def job_config(self) -> Any:
        """The config for this run: a fresh run replaces what an older one left behind."""
        fresh = self.decision.action == "run"
        if fresh and "overwrite" in {f.name for f in dataclasses.fields(self.config)}:
            return dataclasses.replace(self.config, overwrite=True)
        return self.config


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
        job_config = stage.job_config(config, layout)
        fingerprint = stage_fingerprint(
            stage,
            job_config,
            layout,
            code=code_signature(repo, stage),
            external=tree_signature(stage.inputs(config, repo), repo),
            upstream=fingerprints,
        )
        fingerprints[stage.name] = fingerprint
        record = read_record(layout, stage.name)
        output = Path(stage.output(layout))
        decision = decide(stage, fingerprint, record, output, stage.name in forced)
        plan.append(PlannedStage(stage, job_config, fingerprint, decision, stage.name in selected))
    return plan
