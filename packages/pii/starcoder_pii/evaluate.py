"""Precision, recall and F1 per PII class, for any detector, on labelled files.

A predicted span counts as a true positive when it has the gold span's class
and overlaps it (each gold span is matched once), the lenient match that NER
evaluations of PII use because the boundary of a value in code is often a
matter of taste (with or without a trailing ``!``). The strict variant, which
demands identical trimmed boundaries, is reported alongside.

Span scores do not say what a redaction lets through: a predicted span that
overlaps half of a key counts as a hit, yet the other half survives. Leaks
(:func:`count_leaks`) are gold values still present, verbatim, in the redacted text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from .ner.windows import trim_span
from .spans import PII_CLASSES, PiiSpan

OVERLAP, EXACT = "overlap", "exact"


def count_matches(
    gold: Sequence[PiiSpan],
    predicted: Sequence[PiiSpan],
    mode: str = OVERLAP,
    text: str | None = None,
) -> dict[str, dict[str, int]]:
    """``{class: {"tp", "fp", "fn"}}`` for one file."""
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in PII_CLASSES}
    bounds = _trimmed if text is not None else (lambda _t, s: (s.start, s.end))
    unmatched = list(gold)
    for span in sorted(predicted):
        match = None
        for candidate in unmatched:
            if candidate.label != span.label:
                continue
            if mode == EXACT:
                if bounds(text, candidate) == bounds(text, span):
                    match = candidate
                    break
            elif candidate.overlaps(span):
                match = candidate
                break
        if match is None:
            counts[span.label]["fp"] += 1
        else:
            counts[span.label]["tp"] += 1
            unmatched.remove(match)
    for span in unmatched:
        counts[span.label]["fn"] += 1
    return counts


def _trimmed(text: str, span: PiiSpan) -> tuple[int, int]:
    return trim_span(text, span.start, span.end)


def scores(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 (and the counts) per class, plus micro-averaged ``ALL``."""
    total = {k: sum(c[k] for c in counts.values()) for k in ("tp", "fp", "fn")}
    out = {}
    for name, c in list(counts.items()) + [("ALL", total)]:
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {"precision": precision, "recall": recall, "f1": f1, **c}
    return out


def evaluate_detector(
    files,
    detect_batch: Callable[[list[str], list[str]], list[list[PiiSpan]]],
    batch_size: int = 32,
) -> dict[str, dict]:
    """Scores of ``detect_batch`` on ``files`` (:class:`~.dataset.inject.LabelledFile`)."""
    totals = {
        mode: {c: {"tp": 0, "fp": 0, "fn": 0} for c in PII_CLASSES} for mode in (OVERLAP, EXACT)
    }
    files = list(files)
    for lo in range(0, len(files), batch_size):
        chunk = files[lo : lo + batch_size]
        predictions = detect_batch([f.text for f in chunk], [f.path for f in chunk])
        for f, predicted in zip(chunk, predictions, strict=True):
            for mode in (OVERLAP, EXACT):
                for c, k in count_matches(f.spans, predicted, mode, f.text).items():
                    for key, value in k.items():
                        totals[mode][c][key] += value
    return {mode: scores(counts) for mode, counts in totals.items()}


def count_leaks(
    gold: Sequence[PiiSpan], redacted: str, classes: Sequence[str]
) -> dict[str, dict[str, int]]:
    """``{class: {"gold", "leaked"}}``: gold values of ``classes`` found verbatim in ``redacted``.

    Each gold span counts once; a value replaced in one place but left in another leaks.
    """
    counts = {c: {"gold": 0, "leaked": 0} for c in classes}
    for span in gold:
        if span.label in counts:
            counts[span.label]["gold"] += 1
            counts[span.label]["leaked"] += span.value in redacted
    return counts


def format_table(results: dict[str, dict], mode: str = OVERLAP) -> str:
    """One row per class, precision / recall / F1 of each system side by side."""
    systems = list(results)
    head = f"{'class':12}" + "".join(f"{s[:22]:>24}" for s in systems)
    sub = f"{'':12}" + "".join(f"{'P':>8}{'R':>8}{'F1':>8}" for _ in systems)
    lines = [f"PII detection on the held-out split ({mode} match)", head, sub]
    gold = results[systems[0]][mode]
    for cls in (*PII_CLASSES, "ALL"):
        row = f"{cls:12}"
        for system in systems:
            m = results[system][mode][cls]
            row += f"{m['precision']:8.3f}{m['recall']:8.3f}{m['f1']:8.3f}"
        support = gold[cls]["tp"] + gold[cls]["fn"]
        lines.append(row + f"   (n={support})")
    return "\n".join(lines)


def save_results(results: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
