"""The model card every published checkpoint carries: ``README.md`` in the HF convention.

StarCoder shipped its weights with a card that says what the model was trained
on and under which licenses, what was removed (PII, opted-out repositories),
how it scores, what it must not be used for, and how to find out whether a
completion was copied from the training set. This module writes the same card
for a pipeline run from the typed facts of :func:`~.run_facts.collect_card_facts`
(a stage that did not run is ``None``, rendered as "not run"):
:func:`card_data` builds the Hub's front matter (``license``, ``model-index``, ...)
with ``huggingface_hub``'s ``ModelCardData``; the prose is the Jinja template
``model_card_template.md`` shipped with this package; :func:`render_model_card`
puts them together (and reads the result back as a ``huggingface_hub.ModelCard``)
and :func:`write_model_card` writes it next to the weights.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import fields
from functools import cache
from importlib.resources import files
from pathlib import Path

import jinja2
from huggingface_hub import EvalResult, ModelCard, ModelCardData
from starcoder_data.special_tokens import ENDOFTEXT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

from .formatting import (
    UNKNOWN,
    format_bytes,
    format_count,
    format_duration,
    format_metric,
    format_share,
    markdown_table,
)
from .run_facts import EvalEntry, ModelCardFacts, NamedCount, TrainingFacts

NOT_RUN = "not run"
# Licenses the Hub does not know by an SPDX id: rendered as ``license: other`` with these.
LICENSE_LINKS = {
    "bigcode-openrail-m": "https://huggingface.co/spaces/bigcode/bigcode-model-license-agreement",
}
CARD_FILE = "README.md"
TEMPLATE = "model_card_template.md"
LICENSE_ROWS = 25  # the license table lists the largest ones, the rest in one row
LANGUAGE_ROWS = 20
TINY_MODEL_PARAMETERS = 100_000_000  # below: the card says the model only demonstrates the recipe
# model-index metric prefix -> the Hub's metric id for the ``metrics`` list
HUB_METRICS = {"pass@": "code_eval", "exact_match": "exact_match", "perplexity": "perplexity"}


def write_model_card(checkpoint_dir: Path, facts: ModelCardFacts) -> Path:
    """Write ``checkpoint_dir/README.md`` atomically (a reader never sees half a card)."""
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = checkpoint_dir / CARD_FILE
    handle, temp = tempfile.mkstemp(prefix=".README.", suffix=".tmp", dir=checkpoint_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render_model_card(facts))
        os.chmod(temp, 0o644)  # mkstemp's 0600 would hide the card from other users
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def render_model_card(facts: ModelCardFacts) -> str:
    """The card: the Hub's YAML front matter, then one Markdown section per part of the recipe."""
    text = _template().render(card_data=card_data(facts).to_yaml(), **_context(facts))
    # Parsed back as the Hub will read it: a model-index it cannot load raises here. Not
    # re-serialised: the Hub's ModelCardData would regroup the results with its own key.
    ModelCard(text)
    return text


def card_data(facts: ModelCardFacts) -> ModelCardData:
    """The Hub's metadata: license, library, task, tags and the evaluation ``model-index``."""
    license_id = facts.weights_license.lower()  # the Hub spells SPDX ids in lower case
    link = LICENSE_LINKS.get(license_id)
    entries = [e for e in facts.evaluation or () if math.isfinite(e.value)]
    used = [
        hub for key, hub in HUB_METRICS.items() if any(e.metric.startswith(key) for e in entries)
    ]
    tags = ["code", "gpt_bigcode", "starcoder", "ray"]
    if facts.training and facts.training.fim_rate:
        tags.append("fill-in-the-middle")
    results = [
        _BenchmarkResult(
            task_type="text-generation",
            dataset_type=e.dataset_type,
            dataset_name=e.dataset_name,
            dataset_config=e.dataset_config,
            metric_type=e.metric,
            metric_name=e.metric,
            metric_value=round(e.value, 3),
            verified=False,
        )
        for e in entries
    ]
    return ModelCardData(
        license="other" if link else license_id,
        license_name=license_id if link else None,
        license_link=link,
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=tags,
        metrics=used or None,
        model_name=facts.model_name if results else None,
        eval_results=results or None,
    )


class _BenchmarkResult(EvalResult):
    """An ``EvalResult`` grouped in the model-index per benchmark name too.

    The Hub groups results by (task, dataset type, config, split, revision) and
    names each group after its first result (huggingface_hub#4975): HumanEval
    and HumanEval single-line infilling (both ``openai_humaneval``) would become
    one "HumanEval" result.
    """

    @property
    def unique_identifier(self) -> tuple:
        return (*super().unique_identifier, self.dataset_name)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False
    )
    env.filters.update(
        number=format_count,
        size=format_bytes,
        metric=format_metric,
        duration=format_duration,
        share=format_share,
        and_join=_and_join,
        count_rows=_count_rows,
        tally_rows=_tally_rows,
        top=_top,
    )
    env.globals.update(
        table=markdown_table,
        NOT_RUN=NOT_RUN,
        LICENSE_ROWS=LICENSE_ROWS,
        LANGUAGE_ROWS=LANGUAGE_ROWS,
        ENDOFTEXT=ENDOFTEXT,
        FIM_PREFIX=FIM_PREFIX,
        FIM_SUFFIX=FIM_SUFFIX,
        FIM_MIDDLE=FIM_MIDDLE,
    )
    source = files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(source)


def _context(facts: ModelCardFacts) -> dict:
    """The facts, one name per field, and what the template cannot say without logic."""
    t, c = facts.training, facts.curation
    scores = [e for e in facts.evaluation or () if e.metric != "perplexity"]
    return {f.name: getattr(facts, f.name) for f in fields(facts)} | {
        "license_link": LICENSE_LINKS.get(facts.weights_license.lower()),
        "tiny_model": bool(t and t.parameters and t.parameters < TINY_MODEL_PARAMETERS),
        "trained_on_local_code": bool(c and any(s.startswith("local") for s in c.sources)),
        "training_rows": _training_rows(t) if t else [],
        "eval_rows": [_eval_row(e) for e in facts.evaluation or ()],
        "all_scores_zero": bool(scores) and all(e.value == 0 for e in scores),
        "zero_score_benchmarks": sorted({e.dataset_name for e in scores if e.value == 0}),
        "index_note": _index_note(facts),
    }


def _and_join(items: list[str]) -> str:
    """``a, b and c``."""
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1]


def _top(counts: tuple[NamedCount, ...], limit: int, label: str) -> list[NamedCount]:
    """The ``limit`` first counts, the rest summed into one ``other (N <label>)`` count."""
    rest = counts[limit:]
    if not rest:
        return list(counts)
    other = NamedCount(
        name=f"other ({len(rest)} {label})",
        files=sum(c.files for c in rest),
        bytes=sum(c.bytes for c in rest),
    )
    return [*counts[:limit], other]


def _count_rows(counts, share_of: int | None = None) -> list[tuple[str, ...]]:
    """``(name, files, bytes[, share of the share_of bytes])`` rows of named counts."""
    return [
        (c.name, format_count(c.files), format_bytes(c.bytes))
        + (() if share_of is None else (format_share(c.bytes, share_of),))
        for c in counts
    ]


def _tally_rows(items, share_of: int | None = None) -> list[tuple[str, ...]]:
    """``(name, count[, share of share_of])`` rows of ``(name, count)`` pairs."""
    return [
        (name, format_count(n)) + (() if share_of is None else (format_share(n, share_of),))
        for name, n in items
    ]


def _eval_row(e: EvalEntry) -> tuple[str, ...]:
    return (e.dataset_name, e.metric, format_metric(e.value), format_count(e.n), e.note or "-")


def _training_rows(t: TrainingFacts) -> list[tuple[str, str]]:
    """The training table, leaving out what the run's artifacts do not say."""
    attention = None
    if t.multi_query is not None:
        attention = f"multi-query ({t.kv_heads} key/value head)" if t.multi_query else "multi-head"
    device = None if t.use_gpu is None else ("GPU" if t.use_gpu else "CPU")
    fim = None
    if t.fim_rate is not None:
        fim = f"{t.fim_rate}" + (
            f" (of which SPM {t.fim_spm_rate})" if t.fim_spm_rate is not None else ""
        )
    rows = [
        ("Preset", t.preset),
        ("Architecture", "GPTBigCode (`GPTBigCodeForCausalLM`)"),
        ("Parameters", format_count(t.parameters)),
        ("Layers", format_count(t.layers)),
        ("Hidden size", format_count(t.hidden_size)),
        ("Attention heads", format_count(t.heads)),
        ("Attention", attention),
        ("Context length (positions)", format_count(t.context_length)),
        ("Training sequence length", format_count(t.seq_len)),
        ("Vocabulary", format_count(t.vocab_size)),
        ("Fill-in-the-middle rate", fim),
        ("Initialised from", t.init_from or "random (pretraining)"),
        ("Steps", format_count(t.steps)),
        ("Tokens per step", format_count(t.global_batch_tokens)),
        ("Tokens seen", format_count(t.tokens_seen)),
        ("Optimizer", _optimizer_text(t.optimizer)),
        ("Precision", t.precision),
        ("ZeRO stage", None if t.zero_stage is None else str(t.zero_stage)),
        ("Workers", f"{t.workers} ({device})" if t.workers and device else format_count(t.workers)),
        ("Wall time", format_duration(t.wall_s)),
        (
            "Throughput",
            f"{format_count(round(t.tokens_per_s))} tokens/s" if t.tokens_per_s else None,
        ),
        ("Final train loss", format_metric(t.final_loss)),
        ("Final validation loss", format_metric(t.final_val_loss)),
        ("Unigram entropy of the data", format_metric(t.unigram_entropy)),
    ]
    return [(name, value) for name, value in rows if value not in (None, UNKNOWN)]


_OPTIMIZER_LABELS = {
    "weight_decay": "weight decay",
    "warmup_steps": "warmup steps",
    "grad_clip": "gradient clipping",
    "min_lr_ratio": "min lr ratio",
}


def _optimizer_text(optimizer: dict) -> str:
    if not optimizer:
        return UNKNOWN
    parts = [f"lr {optimizer['lr']}"] if "lr" in optimizer else []
    if betas := optimizer.get("betas"):
        parts.append(f"betas ({betas[0]}, {betas[1]})")
    parts += [
        f"{label} {optimizer[key]}" for key, label in _OPTIMIZER_LABELS.items() if key in optimizer
    ]
    return "AdamW, " + ", ".join(parts) + ", cosine decay"


def _index_note(facts: ModelCardFacts) -> str:
    """Says so when the attribution index was built from other files than the model saw."""
    if facts.data is None or facts.attribution is None:
        return ""
    trained_on = Path(facts.data.data_dir).resolve()
    if any(Path(s).resolve() == trained_on for s in facts.attribution.sources):
        return ""
    return f" The model itself trained on `{facts.data.data_dir}`."
