"""Token windows over a file, BIO labels from character spans and back.

StarCoder's PII NER reads 512-token windows; a long file is cut into windows
that overlap by ``stride`` tokens, and each token's prediction is taken from
the window in which it sits furthest from an edge (so every token has context
on both sides where the file allows). Labels are BIO tags over the six classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..spans import PII_CLASSES, PiiSpan, pii_class, span_at

OUTSIDE = "O"
LABELS: tuple[str, ...] = (OUTSIDE,) + tuple(
    f"{prefix}-{cls}" for cls in PII_CLASSES for prefix in ("B", "I")
)
LABEL_IDS = {label: i for i, label in enumerate(LABELS)}
IGNORE = -100


@dataclass(frozen=True, kw_only=True)
class WindowConfig:
    window: int = 512  # StarCoder's NER: 512 tokens, [CLS] and [SEP] included
    stride: int = 128  # tokens shared by consecutive windows

    def __post_init__(self):
        if not 0 <= self.stride < self.window - 2:
            raise ValueError("stride must lie in [0, window - 2)")


@dataclass(frozen=True)
class Window:
    """Token positions ``[start, end)`` of a file, and the part ``[keep_start, keep_end)``
    whose predictions this window owns."""

    start: int
    end: int
    keep_start: int
    keep_end: int


def plan_windows(n_tokens: int, config: WindowConfig) -> list[Window]:
    """Overlapping windows covering ``n_tokens``; each token is owned by exactly one."""
    body = config.window - 2
    if n_tokens <= body:
        return [Window(0, n_tokens, 0, n_tokens)]
    step = body - config.stride
    starts = list(range(0, n_tokens - body, step)) + [n_tokens - body]
    windows = []
    for i, start in enumerate(starts):
        end = start + body
        keep_start = 0 if i == 0 else (starts[i - 1] + body + start) // 2
        keep_end = n_tokens if i == len(starts) - 1 else (end + starts[i + 1]) // 2
        windows.append(Window(start, end, keep_start, keep_end))
    return windows


def token_labels(offsets: list[tuple[int, int]], text: str, spans: list[PiiSpan]) -> np.ndarray:
    """BIO label id per token: a token takes the class of the span its characters fall in."""
    labels = np.zeros(len(offsets), np.int64)
    ordered = sorted(spans)
    j = 0
    previous_span = None
    for i, (start, end) in enumerate(offsets):
        start = _skip_space(text, start, end)
        while j < len(ordered) and ordered[j].end <= start:
            j += 1
        if j < len(ordered) and ordered[j].start < end and start < ordered[j].end:
            span = ordered[j]
            prefix = "I" if previous_span is span else "B"
            labels[i] = LABEL_IDS[f"{prefix}-{span.label}"]
            previous_span = span
        else:
            previous_span = None
    return labels


def _skip_space(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def decode_spans(
    text: str,
    offsets: list[tuple[int, int]],
    predictions: np.ndarray,
    scores=None,
    source: str = "ner",
) -> list[PiiSpan]:
    """Character spans from per-token label ids (B starts a span, I of the same class extends)."""
    spans, current = [], None  # current: [start, end, class, scores]
    for i, (start, end) in enumerate(offsets):
        label = LABELS[int(predictions[i])]
        start = _skip_space(text, start, end)
        if label == OUTSIDE or start >= end:
            if label == OUTSIDE and current:
                spans.append(current)
                current = None
            continue
        prefix, cls = label.split("-", 1)
        if current and cls == current[2] and (prefix == "I" or start == current[1]):
            current[1] = end
        else:
            if current:
                spans.append(current)
            current = [start, end, cls]
    if current:
        spans.append(current)
    out = []
    for start, end, cls in _merge_fragments(text, spans):
        start, end = trim_span(text, start, end)
        if start < end:
            out.append(span_at(text, start, end, cls, source))
    return out


def snap_to_word(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """Widen ``[start, end)`` to the run of ``label``'s characters it lies in.

    A span the model started or ended in the middle of such a run is widened to
    the whole run (word-level aggregation, as token-classification pipelines
    do); the characters of each class are its registry record's ``word_chars``.
    """
    chars = pii_class(label).word_chars
    if start >= end or not chars.match(text[start]) or not chars.match(text[end - 1]):
        return start, end
    while start > 0 and chars.match(text[start - 1]):
        start -= 1
    while end < len(text) and chars.match(text[end]):
        end += 1
    return start, end


_GAP = re.compile(r"[^\s'\"`,;()\[\]{}<>]{1,3}")


def _merge_fragments(text: str, spans: list[list]) -> list[list]:
    """Join pieces of one value that the model split (``ab`` ``-`` ``cd``, PEM lines).

    Two spans of the same class merge when the characters between them are at
    most three and hold no whitespace, quote or bracket, or, for a KEY, are one
    line break (the lines of a PEM block), or, for a NAME, are one space (a model
    that tags "Jane" and "Doe" as two names means one: StarCoder's names have a space).
    """
    merged: list[list] = []
    for span in spans:
        if merged and merged[-1][2] == span[2]:
            gap = text[merged[-1][1] : span[0]]
            joined = (span[2] == "KEY" and gap == "\n") or (span[2] == "NAME" and gap == " ")
            if not gap or _GAP.fullmatch(gap) or joined:
                merged[-1][1] = span[1]
                continue
        merged.append(list(span))
    return merged


_TRIM = " \t\r\n\"'`,;()[]{}<>"


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip quotes, brackets, separators and whitespace from a span's edges.

    A model's span may take in a quote or the space before a value; the
    redactor must replace the value only, so a string literal keeps its quotes.
    """
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    while end > start and text[end - 1] == "\\":
        end -= 1  # never cut an escape sequence in half
    return start, end
