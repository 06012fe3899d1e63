"""Every PII system of the package on the real-file set: span scores, leaks, hard negatives touched.

A system is a ``detect_batch(texts, paths) -> spans per text``. For each the
windows are detected once, then scored three ways:

* precision / recall / F1 per class (:func:`~starcoder_pii.evaluate.count_matches`,
  overlap and exact match, as on the injected test split);
* leaks: the window is redacted (:func:`~starcoder_pii.redact.redact`) and the
  gold EMAIL / KEY / PASSWORD / IP_ADDRESS values still in the output are counted;
* hard negatives changed: windows without gold PII whose text redaction alters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..evaluate import EXACT, OVERLAP, count_leaks, count_matches, scores
from ..redact import RedactionConfig, redact
from ..spans import KEY, PASSWORD, PII_CLASSES, PiiSpan
from .dataset import LEAK_CLASSES, RealWindow

DetectBatch = Callable[[list[str], list[str]], list[list[PiiSpan]]]


def evaluate_windows(
    windows: Sequence[RealWindow],
    detect_batch: DetectBatch,
    redaction: RedactionConfig | None = None,
    batch_size: int = 32,
) -> dict:
    """Scores, leaks and hard negatives changed of one system on ``windows``."""
    redaction = redaction or RedactionConfig()
    matches = {m: {c: {"tp": 0, "fp": 0, "fn": 0} for c in PII_CLASSES} for m in (OVERLAP, EXACT)}
    leaks = {c: {"gold": 0, "leaked": 0} for c in LEAK_CLASSES}
    changed, leaked_ids = [], []
    for lo in range(0, len(windows), batch_size):
        chunk = list(windows[lo : lo + batch_size])
        predictions = detect_batch([w.text for w in chunk], [w.path for w in chunk])
        for window, predicted in zip(chunk, predictions, strict=True):
            for mode in (OVERLAP, EXACT):
                _add(matches[mode], count_matches(window.spans, predicted, mode, window.text))
            redacted = redact(window.text, predicted, redaction).text
            window_leaks = count_leaks(window.spans, redacted, LEAK_CLASSES)
            _add(leaks, window_leaks)
            if any(c["leaked"] for c in window_leaks.values()):
                leaked_ids.append(window.id)
            if window.hard_negative and redacted != window.text:
                changed.append(window.id)
    return {
        **{mode: scores(counts) for mode, counts in matches.items()},
        "leaks": leaks
        | {"secrets": _total(leaks, (KEY, PASSWORD)), "ALL": _total(leaks, LEAK_CLASSES)},
        "windows_leaking": leaked_ids,
        "hard_negatives": sum(w.hard_negative for w in windows),
        "hard_negatives_changed": len(changed),
        "hard_negatives_changed_ids": changed,
    }


def _add(totals: dict, counts: dict) -> None:
    for label, values in counts.items():
        for key, value in values.items():
            totals[label][key] += value


def _total(leaks: dict, classes: Sequence[str]) -> dict[str, int]:
    return {k: sum(leaks[c][k] for c in classes) for k in ("gold", "leaked")}


def build_systems(model_dir: str | Path | None = None) -> dict[str, DetectBatch]:
    """``baseline`` and ``rules`` always; with a NER model also StarCoder's steps and ``learned``.

    ``rules`` is the baseline plus the context rules, no model
    (:class:`~starcoder_pii.detectors.rules.RulesDetector`); ``learned`` is the
    redactor's default with a model (recall-first: every rule-based secret
    kept); ``learned+veto`` lets the model drop the baseline's keys and
    passwords below the calibrated ``verify`` thresholds.
    """
    from ..detectors import BaselineDetector
    from ..detectors.rules import RulesDetector

    baseline = BaselineDetector()
    systems: dict[str, DetectBatch] = {
        "baseline": baseline.detect_batch,
        "rules": RulesDetector(baseline).detect_batch,
    }
    if model_dir is None:
        return systems
    from ..combined import CombinedDetector
    from ..learned import LearnedDetector, read_learned_config
    from ..ner.detector import (
        CachedNer,
        NerConfig,
        NerDetector,
        PostProcessedNer,
        read_window_config,
    )

    ner = NerDetector(model_dir, NerConfig(windows=read_window_config(model_dir), postprocess=None))
    cached = CachedNer(ner)
    post = PostProcessedNer(cached)
    thresholds = read_learned_config(model_dir)
    systems["ner"] = cached.detect_batch
    systems["ner+post"] = post.detect_batch
    systems["ner+post+regex"] = CombinedDetector(post, baseline).detect_batch
    systems["learned"] = LearnedDetector(cached, baseline, thresholds).detect_batch
    veto = LearnedDetector(cached, baseline, thresholds, veto=(KEY, PASSWORD))
    systems["learned+veto"] = veto.detect_batch
    return systems
