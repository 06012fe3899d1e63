"""The learned PII system: the NER model checks the baseline's secrets and adds its own finds.

StarCoder's final pipeline (:class:`~.combined.CombinedDetector`) trusts the
model for keys and passwords. A small model is better used as a judge: the
rule-based detector proposes keys and passwords with exact boundaries, the
model drops the candidates it confidently calls non-PII (an SRI hash in an
``integrity`` attribute looks like a key to ``detect-secrets``, not to a model
that reads the line), and the model's own spans that pass StarCoder's
post-processing are added where the rules found nothing (a key under a
comment, a password in a ``login with user / pw`` note). Emails and IP
addresses stay with the regexes, as in StarCoder.

Two thresholds per class decide: ``verify`` (keep a baseline span when the
model's mean probability that its tokens are PII reaches it) and ``accept``
(add a model span when its mean class probability reaches it; above 1.0 means
never). :func:`calibrate` picks them on a validation split carved from the
training repos, and ``train_pii_ner.py`` stores them in the model's
``pii_task.json``, where :func:`read_learned_config` finds them.

Secrets are recall-first: :class:`LearnedDetector` never lets the model drop
a rule-based KEY or PASSWORD candidate unless its ``veto`` names the class. A
leaked key costs more than a redacted digest, and the ``verify`` thresholds
are tuned on injected PII, not on the real files the redactor sees (on those
the real-file set of :mod:`starcoder_pii.real_eval` measures both choices).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .detectors.names import is_person
from .detectors.rules import RulesDetector
from .evaluate import count_matches, scores
from .ner.postprocess import PostprocessConfig, postprocess
from .spans import (
    CLASSES,
    EMAIL,
    IP_ADDRESS,
    KEY,
    NAME,
    PASSWORD,
    USERNAME,
    PiiSpan,
    resolve_overlaps,
)

NEVER = 1.01  # an ``accept`` threshold no probability reaches
GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
VERIFIED_CLASSES = tuple(c.name for c in CLASSES if c.secret)  # the model may veto these
LEARNED_CLASSES = (NAME, KEY, PASSWORD, USERNAME)  # the model's classes


@dataclass(frozen=True, kw_only=True)
class LearnedConfig:
    regex_classes: tuple[str, ...] = (EMAIL, IP_ADDRESS)  # StarCoder: regexes for these
    # Before calibration: keep every baseline secret, add the model's spans it is sure of.
    verify: dict[str, float] = field(default_factory=lambda: dict.fromkeys(VERIFIED_CLASSES, 0.0))
    accept: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEARNED_CLASSES, 0.5))
    postprocess: PostprocessConfig = PostprocessConfig()

    def as_dict(self) -> dict:
        return {"verify": dict(self.verify), "accept": dict(self.accept)}


def combine(
    baseline: Sequence[PiiSpan], output, config: LearnedConfig | None = None
) -> list[PiiSpan]:
    """One file's learned spans from the baseline's spans and the model's ``NerOutput``."""
    config = config or LearnedConfig()
    scored = [(span, output.pii_probability(span.start, span.end)) for span in baseline]
    learned = postprocess(list(output.spans), config.postprocess)
    return _select(scored, learned, config)


def _select(
    scored: Sequence[tuple[PiiSpan, float]], learned: Sequence[PiiSpan], config: LearnedConfig
) -> list[PiiSpan]:
    fixed = []  # the regexes' spans and the baseline secrets the model does not veto
    for span, pii in scored:
        if span.label in config.regex_classes or pii >= config.verify.get(span.label, 0.0):
            fixed.append(span)
    added = [
        span
        for span in learned
        if span.label not in config.regex_classes
        and span.score >= config.accept.get(span.label, NEVER)
        and (span.label != NAME or is_person(span.value))  # "Collabora Ltd" is no person
        and not any(span.overlaps(other) for other in fixed)
    ]
    return resolve_overlaps(fixed + added)


def recall_first(config: LearnedConfig, veto: tuple[str, ...] = ()) -> LearnedConfig:
    """``config`` with ``verify`` at 0.0 (keep every rule-based span) for classes not in ``veto``.

    ``veto`` must name classes the model can verify (:data:`VERIFIED_CLASSES`);
    anything else is refused, so a typo cannot silently switch the veto off or on.
    """
    unknown = sorted(set(veto) - set(VERIFIED_CLASSES))
    if unknown:
        raise ValueError(f"veto classes {unknown} are not among {VERIFIED_CLASSES}")
    verify = {c: config.verify.get(c, 0.0) if c in veto else 0.0 for c in VERIFIED_CLASSES}
    return replace(config, verify=verify)


class LearnedDetector:
    """Baseline candidates the NER model verifies, plus the model's post-processed spans.

    Its rule-based candidates are :class:`~.detectors.rules.RulesDetector`'s: the
    baseline's plus the names, handles and credentials that the context rules
    find (``Name <email>``, copyright lines, ``github.com/<user>``,
    ``smtp.login(user, "pw")``), which are kept like the regexes' spans.
    Recall-first by default: every rule-based KEY and PASSWORD is kept whatever
    the model thinks of it; ``veto=("KEY",)`` lets the model drop the baseline's
    keys below ``config.verify["KEY"]`` (see :func:`recall_first`).
    """

    name = "learned"

    def __init__(
        self, ner, baseline, config: LearnedConfig | None = None, veto: tuple[str, ...] = ()
    ):
        self.ner, self.baseline = ner, baseline
        self.rules = RulesDetector(baseline)
        self.veto = tuple(veto)
        self.config = recall_first(config or LearnedConfig(), self.veto)

    def __call__(self, text: str, path: str = "file.txt") -> list[PiiSpan]:
        return self.detect_batch([text], [path])[0]

    def detect_batch(self, texts: list[str], paths: list[str]) -> list[list[PiiSpan]]:
        outputs = self.ner.analyse_batch(texts, paths)
        return [
            combine(self.rules(text, path), output, self.config)
            for text, path, output in zip(texts, paths, outputs, strict=True)
        ]


def calibrate(
    files, baseline_spans, outputs, config: LearnedConfig | None = None, grid=GRID
) -> tuple[LearnedConfig, dict]:
    """Per class, the (verify, accept) pair with the best F1 on ``files`` (a validation split).

    ``baseline_spans[i]`` and ``outputs[i]`` are the baseline's spans and the
    model's ``NerOutput`` for ``files[i]``. Classes are tuned one at a time
    with the others at ``config``'s values; ties keep the smaller ``verify``
    and the larger ``accept`` (the choice closest to the baseline alone).
    Returns the tuned config and, per class, the chosen pair with its F1.
    """
    config = config or LearnedConfig()
    prepared = []
    for f, base, output in zip(files, baseline_spans, outputs, strict=True):
        scored = [(s, output.pii_probability(s.start, s.end)) for s in base]
        prepared.append((f, scored, postprocess(list(output.spans), config.postprocess)))
    chosen = {}
    for label in LEARNED_CLASSES:
        verify_grid = grid if label in VERIFIED_CLASSES else (0.0,)
        best = None
        for verify in verify_grid:
            for accept in (NEVER, *sorted(grid, reverse=True)):
                trial = _with(config, label, verify, accept)
                f1 = _class_f1(prepared, trial, label)
                if best is None or f1 > best[0]:
                    best = (f1, verify, accept)
        f1, verify, accept = best
        config = _with(config, label, verify, accept)
        chosen[label] = {"verify": verify, "accept": accept, "f1": f1}
    return config, chosen


def _with(config: LearnedConfig, label: str, verify: float, accept: float) -> LearnedConfig:
    verifies = {label: verify} if label in VERIFIED_CLASSES else {}
    return replace(config, verify=config.verify | verifies, accept=config.accept | {label: accept})


def _class_f1(prepared, config: LearnedConfig, label: str) -> float:
    totals = {"tp": 0, "fp": 0, "fn": 0}
    for f, scored, learned in prepared:
        predicted = [s for s in _select(scored, learned, config) if s.label == label]
        counts = count_matches([s for s in f.spans if s.label == label], predicted)[label]
        for key in totals:
            totals[key] += counts[key]
    return scores({label: totals})[label]["f1"]


def write_learned_config(model_dir: str | Path, config: LearnedConfig, chosen: dict) -> Path:
    """Add the thresholds (and their validation F1) to the model's ``pii_task.json``."""
    path = Path(model_dir) / "pii_task.json"
    task = json.loads(path.read_text()) if path.exists() else {}
    task["learned"] = config.as_dict() | {"validation": chosen}
    path.write_text(json.dumps(task, indent=2) + "\n")
    return path


def read_learned_config(model_dir: str | Path) -> LearnedConfig:
    """The calibrated thresholds stored next to the model, else :class:`LearnedConfig`'s."""
    path = Path(model_dir) / "pii_task.json"
    task = json.loads(path.read_text()) if path.exists() else {}
    stored = task.get("learned")
    if not stored:
        return LearnedConfig()
    return LearnedConfig(verify=dict(stored["verify"]), accept=dict(stored["accept"]))
