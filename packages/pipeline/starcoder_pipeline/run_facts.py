"""What a pipeline run produced, read back from its artifacts into typed facts.

The model card and the run summary both describe a run; both read it through
:func:`collect_card_facts`, which turns each stage's report (curation,
redaction, tokenizer, training, evaluation, index) into a frozen,
JSON-serialisable dataclass. A stage that did not run gives ``None``.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .layout import RunLayout

NO_LICENSE = "(none found)"


@dataclass(frozen=True, kw_only=True)
class NamedCount:
    """Files and bytes of one named group (a license, a language, a drop reason, ...)."""

    name: str
    files: int
    bytes: int


@dataclass(frozen=True, kw_only=True)
class LicenseFacts:
    """The license column of the Parquet the model trained on."""

    data_dir: str
    redacted: bool  # the PII-redacted copy, not the curated one
    files: int
    bytes: int  # original file sizes (the ``size`` column)
    licenses: tuple[NamedCount, ...]  # largest first


@dataclass(frozen=True, kw_only=True)
class CurationFacts:
    """``curated/report.json``: what came in, what was kept and why the rest was dropped."""

    sources: tuple[str, ...]  # "kind:location" as given to curate.py
    license_policy: str | None
    allowed_licenses: tuple[str, ...]
    optout_entries: int
    total_in: NamedCount
    kept: NamedCount
    dropped: NamedCount
    stages: tuple[NamedCount, ...]  # files dropped by each stage, in pipeline order
    reasons: tuple[NamedCount, ...]  # "<stage>:<reason>", in pipeline order
    languages: tuple[NamedCount, ...]  # kept files per language, largest first
    seconds: float | None


@dataclass(frozen=True, kw_only=True)
class PiiFacts:
    """``redacted/report.json``: files per status and replaced spans per class."""

    detector: str
    model: str | None
    files: int
    bytes: int
    status: dict[str, int]
    spans: dict[str, int]
    files_with_pii: int
    errors: int


@dataclass(frozen=True, kw_only=True)
class TokenizerFacts:
    vocab_size: int
    tokens_per_byte: float | None  # on held-out files
    train_documents: int | None
    train_bytes: int | None
    tokens_per_byte_by_language: dict[str, float]


@dataclass(frozen=True, kw_only=True)
class TrainingFacts:
    """``pretrain/``: model shape, parameter count and what the run did."""

    preset: str | None
    layers: int | None
    hidden_size: int | None
    heads: int | None
    kv_heads: int | None
    multi_query: bool | None
    context_length: int | None  # positions the model has
    seq_len: int | None  # sequence length it was trained at
    vocab_size: int | None
    parameters: int | None
    steps: int | None
    tokens_seen: int | None
    global_batch_tokens: int | None
    final_loss: float | None
    final_val_loss: float | None
    unigram_entropy: float | None  # of the training tokens: the loss of a frequency table
    wall_s: float | None
    tokens_per_s: float | None
    workers: int | None
    use_gpu: bool | None
    precision: str | None
    zero_stage: int | None
    optimizer: dict = field(default_factory=dict)
    init_from: str | None = None
    fim_rate: float | None = None
    fim_spm_rate: float | None = None


@dataclass(frozen=True, kw_only=True)
class EvalEntry:
    """One metric of one task, with the HF ``model-index`` names of its benchmark."""

    task: str
    dataset_type: str
    dataset_name: str
    dataset_config: str | None
    metric: str  # pass@1, exact_match, perplexity
    value: float
    n: int | None  # problems, examples or documents
    note: str


@dataclass(frozen=True, kw_only=True)
class AttributionFacts:
    """``attribution/manifest.json``: what the membership filter and the search index cover."""

    files: int
    text_bytes: int
    ngrams: int
    distinct_ngrams: int
    ngram_width: int
    ngram_stride: int
    false_positive_rate: float
    min_chain: int
    sources: tuple[str, ...]
    search_backend: str


@dataclass(frozen=True, kw_only=True)
class ModelCardFacts:
    """Everything the card says, read from a run's artifacts (``None``: the stage did not run)."""

    model_name: str
    weights_license: str
    model_dir: str
    attribution_dir: str
    data: LicenseFacts | None
    curation: CurationFacts | None
    pii: PiiFacts | None
    tokenizer: TokenizerFacts | None
    training: TrainingFacts | None
    evaluation: tuple[EvalEntry, ...] | None
    attribution: AttributionFacts | None


def collect_card_facts(
    layout: RunLayout, *, weights_license: str = "bigcode-openrail-m", model_name: str | None = None
) -> ModelCardFacts:
    """Read every artifact of ``layout`` that exists; a missing one leaves its section ``None``."""
    training = _training_facts(layout)
    if model_name is None:
        preset = training.preset if training else None
        model_name = f"starcoder-ray-{preset}" if preset else "starcoder-ray"
    return ModelCardFacts(
        model_name=model_name,
        weights_license=weights_license,
        model_dir=str(layout.model),
        attribution_dir=str(layout.attribution),
        data=_license_facts(layout),
        curation=_curation_facts(layout),
        pii=_pii_facts(layout),
        tokenizer=_tokenizer_facts(layout),
        training=training,
        evaluation=_eval_facts(layout),
        attribution=_attribution_facts(layout),
    )


def _read_json(path: Path):
    """The parsed file, or ``None`` when it is missing; a broken one names its path."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


def _license_facts(layout: RunLayout) -> LicenseFacts | None:
    """Files and bytes per license, reading only the ``license`` and ``size`` columns."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    candidates = [layout.training_data, layout.curated / "data"]
    found = [d for d in candidates if d.is_dir() and any(d.rglob("*.parquet"))]
    if not found:
        return None
    data_dir = found[0]
    dataset = ds.dataset(data_dir, format="parquet", partitioning="hive")
    table = dataset.to_table(columns=["license", "size"])
    table = table.set_column(0, "license", pc.fill_null(table["license"], NO_LICENSE))
    # Single-threaded: in the pipeline's process (Ray and torch loaded) Acero's threaded
    # group-by failed on the laptop run's 31k rows ("thread index 12 is out of range").
    grouped = table.group_by("license", use_threads=False).aggregate(
        [("size", "sum"), ("size", "count")]
    )
    licenses = sorted(
        (
            NamedCount(name=row["license"], files=row["size_count"], bytes=row["size_sum"] or 0)
            for row in grouped.to_pylist()
        ),
        key=lambda c: (-c.bytes, -c.files, c.name),
    )
    return LicenseFacts(
        data_dir=str(data_dir),
        redacted=data_dir == layout.training_data,
        files=sum(c.files for c in licenses),
        bytes=sum(c.bytes for c in licenses),
        licenses=tuple(licenses),
    )


def _curation_facts(layout: RunLayout) -> CurationFacts | None:
    from starcoder_data.report import CurationReport

    report = CurationReport.read(layout.curated)
    if report is None:
        return None
    config = report.config

    def named(name: str, count) -> NamedCount:
        return NamedCount(name=name, files=count.files, bytes=count.bytes)

    return CurationFacts(
        sources=tuple(f"{s.kind}:{s.location}" if s.location else s.kind for s in config.sources)
        if config
        else (),
        license_policy=config.license.policy if config else None,
        allowed_licenses=tuple(sorted(config.license.allowed)) if config else (),
        optout_entries=len(config.optout.entries) if config else 0,
        total_in=named("in", report.totals.entered),
        kept=named("kept", report.totals.kept),
        dropped=named("dropped", report.totals.dropped),
        stages=tuple(named(name, stage.dropped) for name, stage in report.stages.items()),
        reasons=tuple(
            named(reason, count)
            for stage in report.stages.values()
            for reason, count in stage.reasons.items()
        ),
        languages=tuple(named(name, count) for name, count in report.kept_by_language()),
        seconds=report.seconds,
    )


def _pii_facts(layout: RunLayout) -> PiiFacts | None:
    from starcoder_pii.report import RedactionReport

    report = RedactionReport.read(layout.redacted)
    if report is None:
        return None
    return PiiFacts(
        detector=report.detector or "unknown",
        model=report.model,
        files=report.files,
        bytes=report.bytes,
        status=dict(report.status),
        spans=dict(report.spans),
        files_with_pii=report.files_with_pii,
        errors=len(report.errors),
    )


def _tokenizer_facts(layout: RunLayout) -> TokenizerFacts | None:
    from starcoder_model.tokenizer_report import TokenizerReport

    report = TokenizerReport.read(layout.tokenizer)
    if report is None:
        return None
    return TokenizerFacts(
        vocab_size=report.vocab_size,
        tokens_per_byte=report.eval.tokens_per_byte if report.eval.bytes else None,
        train_documents=report.train.documents,
        train_bytes=report.train.bytes,
        tokens_per_byte_by_language=dict(report.tokens_per_byte),
    )


def parameter_count(model_dir: Path, config: dict | None) -> int | None:
    """Parameters in the safetensors headers (no weights read), else computed from the config."""
    files = sorted(model_dir.glob("*.safetensors"))
    if files:
        return sum(_safetensors_parameters(path) for path in files)
    if config and config.get("model_type") == "gpt_bigcode":
        from starcoder_model.sizing import parameter_count as from_config
        from transformers import GPTBigCodeConfig

        return from_config(GPTBigCodeConfig.from_dict(config))
    return None


def _safetensors_parameters(path: Path) -> int:
    # Format: 8-byte little-endian header length, then a JSON header of {name: {shape, ...}}.
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    return sum(math.prod(t["shape"]) for name, t in header.items() if name != "__metadata__")


def _training_facts(layout: RunLayout) -> TrainingFacts | None:
    from starcoder_model.training.report import TrainingReport

    model = _read_json(layout.model / "config.json")
    train = _read_json(layout.pretrain / "train_config.json")
    report = TrainingReport.read(layout.pretrain)
    if model is None and train is None and report is None:
        return None
    model, train, report = model or {}, train or {}, report or TrainingReport()
    fim = train  # FIM is drawn per training sample (TrainConfig.fim_rate), not at packing
    multi_query = model.get("multi_query")
    heads = model.get("n_head")
    return TrainingFacts(
        preset=train.get("preset"),
        layers=model.get("n_layer"),
        hidden_size=model.get("n_embd"),
        heads=heads,
        kv_heads=(1 if multi_query else heads) if heads is not None else None,
        multi_query=multi_query,
        context_length=model.get("n_positions"),
        seq_len=train.get("seq_len"),
        vocab_size=model.get("vocab_size"),
        parameters=parameter_count(layout.model, model) if layout.model.is_dir() else None,
        steps=report.steps or train.get("max_steps"),
        tokens_seen=report.tokens_seen,
        global_batch_tokens=train.get("global_batch_tokens"),
        final_loss=report.final_loss,
        final_val_loss=report.final_val_loss,
        unigram_entropy=report.unigram_entropy,
        wall_s=report.wall_s,
        tokens_per_s=report.tokens_per_s,
        workers=train.get("num_workers"),
        use_gpu=train.get("use_gpu"),
        precision=train.get("precision"),
        zero_stage=train.get("zero_stage"),
        optimizer=dict(train.get("optimizer") or {}),
        init_from=train.get("init_from"),
        fim_rate=fim.get("fim_rate"),
        fim_spm_rate=fim.get("fim_spm_rate"),
    )


def _benchmark(task: str) -> tuple[str, str, str | None]:
    """``(dataset type, dataset name, dataset config)`` of a task for ``model-index``."""
    from starcoder_eval.tasks import BY_RESULT_NAME

    registered = BY_RESULT_NAME.get(task)
    return registered.model_index if registered is not None else (task, task, None)


def _eval_facts(layout: RunLayout) -> tuple[EvalEntry, ...] | None:
    """Each task's headline metrics with its benchmark's model-index names.

    Held-out perplexity is a metric of this run's own files, one entry per
    language; FIM's per-language exact matches stay in the evaluation's files.
    """
    from starcoder_eval.summary import EvaluationSummary

    summary = EvaluationSummary.read(layout.eval)
    if summary is None:
        return None
    entries = []
    for task in summary.tasks:
        dataset_type, dataset_name, dataset_config = _benchmark(task.task)
        held_out = Path(task.held_out or "").name or "held-out files"
        for metric in task.metrics():
            if metric.metric == "perplexity":
                dataset_type, dataset_name = "local", f"{held_out} ({metric.language})"
                dataset_config = metric.language
            elif metric.language is not None:
                continue
            entries.append(
                EvalEntry(task=task.task, dataset_type=dataset_type, dataset_name=dataset_name,
                          dataset_config=dataset_config, metric=metric.metric, value=metric.value,
                          n=metric.n, note=metric.note)
            )  # fmt: skip
    return tuple(entries)


def _attribution_facts(layout: RunLayout) -> AttributionFacts | None:
    from starcoder_attribution.index_dir import MANIFEST, read_manifest

    if not (layout.attribution / MANIFEST).is_file():
        return None
    manifest = read_manifest(layout.attribution)
    return AttributionFacts(
        files=manifest.files,
        text_bytes=manifest.text_bytes,
        ngrams=manifest.ngrams,
        distinct_ngrams=manifest.distinct_ngrams,
        ngram_width=manifest.membership.ngrams.width,
        ngram_stride=manifest.membership.ngrams.stride,
        false_positive_rate=manifest.membership.false_positive_rate,
        min_chain=manifest.membership.min_chain,
        sources=tuple(manifest.sources),
        search_backend=manifest.search_backend,
    )
