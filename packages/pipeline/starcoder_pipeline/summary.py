"""The end of a run in one screen: what each stage did and what came out of it.

Printed when the pipeline finishes and kept as ``<run>/pipeline/summary.json``
and ``summary.md``: the stages (ran, resumed or skipped, and how long they
took), the data kept and dropped, the PII found, the loss curve, pass@1, the
attribution index and the URLs of the API and the playground.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .formatting import format_bytes, format_count, format_metric
from .layout import RunLayout
from .run_facts import ModelCardFacts


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    action: str  # "ran" | "resumed" | "skipped" | "not selected"
    reason: str
    seconds: float | None = None


def build_summary(
    facts: ModelCardFacts,
    layout: RunLayout,
    outcomes: list[StageOutcome],
    urls: dict[str, str] | None = None,
) -> dict:
    """A JSON-able summary of the run; absent artifacts are left out, never guessed."""
    summary: dict = {
        "run": str(layout.root),
        "stages": [asdict(outcome) for outcome in outcomes],
        "seconds": round(sum(o.seconds or 0.0 for o in outcomes), 1),
    }
    if facts.curation:
        c = facts.curation
        summary["data"] = {
            "in": asdict(c.total_in),
            "kept": asdict(c.kept),
            "dropped": asdict(c.dropped),
            "dropped_by_stage": {s.name: s.files for s in c.stages if s.files},
            "languages_kept": len(c.languages),
        }
    if facts.pii:
        summary["pii"] = {
            "detector": facts.pii.detector,
            "files_with_pii": facts.pii.files_with_pii,
            "spans": facts.pii.spans,
            "errors": facts.pii.errors,
        }
    if facts.training:
        t = facts.training
        curve = layout.pretrain / "loss_curve.png"
        summary["training"] = {
            "parameters": t.parameters,
            "steps": t.steps,
            "tokens_seen": t.tokens_seen,
            "final_val_loss": t.final_val_loss,
            "loss_curve": str(curve) if curve.is_file() else None,
            "model": str(layout.model),
        }
    if facts.evaluation is not None:
        summary["evaluation"] = {
            f"{e.task} {e.metric}": e.value for e in facts.evaluation if e.metric != "perplexity"
        }
        summary["held_out_perplexity"] = {
            e.dataset_config: e.value for e in facts.evaluation if e.metric == "perplexity"
        }
    if facts.attribution:
        summary["attribution"] = {
            "files": facts.attribution.files,
            "ngrams": facts.attribution.ngrams,
            "index": str(layout.attribution),
        }
    summary["model_card"] = str(layout.model / "README.md")
    if urls:
        summary["urls"] = dict(urls)
    return summary


def format_summary(summary: dict) -> str:
    """The summary as a few aligned tables for the terminal (also Markdown-friendly)."""
    lines = ["", "=== StarCoder pipeline: summary ===", ""]
    lines.append(f"{'stage':<10} {'':<13} {'seconds':>8}  why")
    for stage in summary["stages"]:
        seconds = "" if stage["seconds"] is None else f"{stage['seconds']:.0f}"
        lines.append(f"{stage['stage']:<10} {stage['action']:<13} {seconds:>8}  {stage['reason']}")
    lines.append(f"{'total':<10} {'':<13} {summary['seconds']:>8.0f}")
    rows: list[tuple[str, str]] = []
    if data := summary.get("data"):
        for name, key in (("files in", "in"), ("kept", "kept")):
            files, size = data[key]["files"], data[key]["bytes"]
            rows.append((name, f"{format_count(files)} ({format_bytes(size)})"))
        by_stage = data["dropped_by_stage"].items()
        dropped = ", ".join(f"{k} {format_count(v)}" for k, v in by_stage)
        rows.append(("dropped", f"{format_count(data['dropped']['files'])} ({dropped})"))
    if pii := summary.get("pii"):
        spans = ", ".join(f"{k} {format_count(v)}" for k, v in pii["spans"].items() if v)
        found = f"{format_count(pii['files_with_pii'])} files: {spans or 'none'}"
        rows.append((f"PII ({pii['detector']})", found))
    if training := summary.get("training"):
        model = (
            f"{format_count(training['parameters'])} parameters, {training['steps']} steps, "
            f"{format_count(training['tokens_seen'])} tokens, "
            f"val loss {format_metric(training['final_val_loss'])}"
        )
        rows.append(("model", model))
        rows.append(("loss curve", training["loss_curve"] or "-"))
        rows.append(("checkpoint", training["model"]))
    for name, value in summary.get("evaluation", {}).items():
        rows.append((name, format_metric(value)))
    if perplexity := summary.get("held_out_perplexity"):
        by_language = ", ".join(f"{k} {v:,.2f}" for k, v in sorted(perplexity.items()))
        rows.append(("held-out perplexity", by_language))
    if attribution := summary.get("attribution"):
        indexed = f"{format_count(attribution['files'])} files indexed: {attribution['index']}"
        rows.append(("attribution", indexed))
    rows.append(("model card", summary["model_card"]))
    for name, url in summary.get("urls", {}).items():
        rows.append((name, url))
    width = max(len(name) for name, _ in rows)
    lines.append("")
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines) + "\n"


def write_summary(layout: RunLayout, summary: dict) -> Path:
    """``summary.json`` and ``summary.md`` under the run's ``pipeline/`` folder."""
    layout.pipeline.mkdir(parents=True, exist_ok=True)
    (layout.pipeline / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    text = format_summary(summary)
    (layout.pipeline / "summary.md").write_text(f"```\n{text.strip()}\n```\n")
    return layout.pipeline / "summary.json"
