"""The redaction stage: a ``pyarrow.Table`` batch of files in, the same files redacted out.

Like every curation stage (``starcoder_data.stage``) it is a callable with no
Ray inside, so it runs in a unit test and as a Ray Data actor alike. Each row
gains ``pii_status`` (what happened to it) and ``pii_counts`` (spans replaced
per class, JSON), and ``pii_spans`` (the spans, JSON, for audit) when asked.

No file is ever dropped: a file the NER model cannot handle (an error, or more
than ``max_ner_chars``) falls back to a model-free detector (the learned
system to its rules, the others to the baseline), and a file on which that
fails too keeps its content with status ``error:<type>``, so the
report counts it and a user can filter it. Rows that carry a ``pii_status``
from an earlier run pass through untouched (flagged in the transient
``pii_passed`` column the job drops before writing): redacting twice changes
nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from .redact import RedactionConfig, redact
from .spans import KEY, PASSWORD, PII_CLASSES

CONTENT, PATH = "content", "path"
STATUS, COUNTS, SPANS = "pii_status", "pii_counts", "pii_spans"
PASSED_THROUGH = "pii_passed"  # transient: rows of an earlier run, for the report only
REDACTED, CLEAN, PASSED = "redacted", "clean", "already_redacted"
FALLBACK = "baseline_fallback"  # NER failed or file too large: the model-free fallback used
BASELINE, NER, COMBINED, ENSEMBLE = "baseline", "ner", "ner+regex", "ensemble"
LEARNED, RULES = "learned", "rules"
DETECTORS = (BASELINE, RULES, NER, COMBINED, ENSEMBLE, LEARNED)
NEEDS_NO_MODEL = (BASELINE, RULES)


@dataclass(frozen=True, kw_only=True)
class RedactorConfig:
    # baseline | rules (the baseline plus the context rules: names, handles, positional
    # credentials; no model) | ner | ner+regex (StarCoder's final pipeline) | ensemble
    # (ner+regex, and the baseline's keys and passwords added to the model's) | learned
    # (the rules' spans, secrets never dropped, plus the model's post-processed spans,
    # thresholds from pii_task.json)
    detector: str = LEARNED
    model_dir: str | None = None  # the NER model (all but baseline and rules)
    device: str = "auto"
    ner_batch_size: int = 16  # windows per forward pass
    max_ner_chars: int = 1_000_000  # larger files get the baseline only
    keep_spans: bool = False  # add pii_spans for the audit output
    # learned only: secret classes the model may drop a rule-based candidate of (recall-first:
    # none; measured on the real-file set, the veto leaks more than it saves)
    veto: tuple[str, ...] = ()
    redaction: RedactionConfig = field(default_factory=RedactionConfig)

    def __post_init__(self):
        if self.detector not in DETECTORS:
            raise ValueError(f"detector must be one of {DETECTORS}, not {self.detector!r}")
        if self.detector not in NEEDS_NO_MODEL and not self.model_dir:
            raise ValueError(f"detector {self.detector!r} needs model_dir")


def build_detector(config: RedactorConfig):
    """The configured detector and the model-free detector it falls back to.

    ``learned`` falls back to ``rules`` (its own candidates), so a file the model
    cannot take loses the model's additions only; the other NER systems fall
    back to the baseline, as StarCoder's pipeline would.
    """
    from .detectors import BaselineDetector
    from .detectors.rules import RulesDetector

    baseline = BaselineDetector()
    if config.detector == BASELINE:
        return baseline, baseline
    if config.detector == RULES:
        rules = RulesDetector(baseline)
        return rules, rules
    from .combined import CombinedDetector
    from .ner.detector import NerConfig, NerDetector, read_window_config

    ner_config = NerConfig(
        windows=read_window_config(config.model_dir),
        batch_size=config.ner_batch_size,
        device=config.device,
    )
    ner = NerDetector(config.model_dir, ner_config)
    if config.detector == NER:
        return ner, baseline
    if config.detector == LEARNED:
        from .learned import LearnedDetector, read_learned_config

        learned = read_learned_config(config.model_dir)
        detector = LearnedDetector(ner, baseline, learned, veto=config.veto)
        return detector, detector.rules
    union = (KEY, PASSWORD) if config.detector == ENSEMBLE else ()
    return CombinedDetector(ner, baseline, union_classes=union), baseline


class PiiRedactor:
    """Callable stage; the detector (and model) is loaded once, in ``__init__``."""

    def __init__(self, config: RedactorConfig | None = None):
        self.config = config or RedactorConfig(detector=BASELINE)
        self.detector, self.baseline = build_detector(self.config)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.num_rows
        texts = batch[CONTENT].to_pylist()
        paths = batch[PATH].to_pylist() if PATH in batch.column_names else [None] * rows
        paths = [p or "file.txt" for p in paths]
        previous = batch[STATUS].to_pylist() if STATUS in batch.column_names else [None] * rows
        todo = [i for i in range(rows) if previous[i] is None and texts[i] is not None]
        spans, statuses = self._detect([texts[i] for i in todo], [paths[i] for i in todo])
        contents, status, counts, audit = list(texts), list(previous), [None] * rows, [None] * rows
        if COUNTS in batch.column_names:
            counts = batch[COUNTS].to_pylist()
        if SPANS in batch.column_names:
            audit = batch[SPANS].to_pylist()
        for i, found, state in zip(todo, spans, statuses, strict=True):
            if found is None:
                status[i] = state
                continue
            result = redact(texts[i], found, self.config.redaction)
            contents[i] = result.text
            status[i] = state or (REDACTED if result.changed else CLEAN)
            counts[i] = json.dumps({c: n for c, n in result.counts.items() if n})
            audit[i] = json.dumps([s.as_dict() for s in result.spans])
        for i in range(rows):
            if status[i] is None:  # a null content: nothing to scan
                status[i], counts[i] = CLEAN, "{}"
        audit = audit if self.config.keep_spans else None
        out = _with_columns(batch, contents, status, counts, audit)
        passed = pa.array([s is not None for s in previous], pa.bool_())
        index = out.schema.get_field_index(PASSED_THROUGH)
        if index >= 0:
            return out.set_column(index, PASSED_THROUGH, passed)
        return out.append_column(PASSED_THROUGH, passed)

    def _detect(self, texts: list[str], paths: list[str]) -> tuple[list, list]:
        """Spans per file (None on failure) and a status override (fallback / error) or None."""
        spans, statuses = [None] * len(texts), [None] * len(texts)
        learned = [i for i, t in enumerate(texts) if len(t) <= self.config.max_ner_chars]
        if self.detector is self.baseline:
            learned = []
        if learned:
            try:
                found = self.detector.detect_batch(
                    [texts[i] for i in learned], [paths[i] for i in learned]
                )
                for i, f in zip(learned, found, strict=True):
                    spans[i] = f
            except Exception:  # one bad file must not sink the batch: retry one by one
                for i in learned:
                    try:
                        spans[i] = self.detector(texts[i], paths[i])
                    except Exception:
                        spans[i] = None
        for i in range(len(texts)):
            if spans[i] is not None:
                continue
            if learned or self.detector is not self.baseline:
                statuses[i] = FALLBACK
            try:
                spans[i] = self.baseline(texts[i], paths[i])
            except Exception as error:
                statuses[i] = f"error:{type(error).__name__}"
        return spans, statuses


def _with_columns(batch: pa.Table, contents, status, counts, audit) -> pa.Table:
    columns = {
        CONTENT: pa.array(contents, pa.string()),
        STATUS: pa.array(status, pa.string()),
        COUNTS: pa.array(counts, pa.string()),
    }
    if audit is not None:
        columns[SPANS] = pa.array(audit, pa.string())
    for name, values in columns.items():
        index = batch.schema.get_field_index(name)
        if index >= 0:
            batch = batch.set_column(index, name, values)
        else:
            batch = batch.append_column(name, values)
    return batch


def summarise(
    statuses: list[str],
    counts: list[str | None],
    sizes: list[int],
    passed: list[bool] | None = None,
) -> dict:
    """The job's report: files and bytes per status, spans replaced per class.

    Rows ``passed`` through from an earlier run count as ``already_redacted``
    and add no spans: the report says what this run did.
    """
    passed = passed or [False] * len(statuses)
    statuses = [PASSED if p else s for s, p in zip(statuses, passed, strict=True)]
    counts = [None if p else c for c, p in zip(counts, passed, strict=True)]
    by_status = Counter(s.split(":")[0] if s.startswith("error:") else s for s in statuses)
    errors = Counter(s for s in statuses if s.startswith("error:"))
    per_class = Counter()
    for c in counts:
        per_class.update(json.loads(c) if c else {})
    return {
        "files": len(statuses),
        "bytes": int(sum(sizes)),
        "status": dict(sorted(by_status.items())),
        "errors": dict(sorted(errors.items())),
        "spans": {c: per_class.get(c, 0) for c in PII_CLASSES},
        "files_with_pii": sum(1 for c in counts if c and json.loads(c)),
    }
