"""The one record every detector returns: a labelled character span of a file.

StarCoder's PII annotation (Li et al. 2023, section 4) has six classes; the
detectors, the NER model, the evaluation and the redactor all speak in
:class:`PiiSpan`, half-open ``[start, end)`` character offsets into the file's
text, so they compose without converting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

NAME = "NAME"
EMAIL = "EMAIL"
KEY = "KEY"
PASSWORD = "PASSWORD"
IP_ADDRESS = "IP_ADDRESS"
USERNAME = "USERNAME"
PII_CLASSES: tuple[str, ...] = (NAME, EMAIL, KEY, PASSWORD, IP_ADDRESS, USERNAME)


@dataclass(frozen=True, order=True)
class PiiSpan:
    """``text[start:end]`` is PII of class ``label``; ``source`` names the detector."""

    start: int
    end: int
    label: str
    value: str
    source: str = ""
    score: float = 1.0

    def __post_init__(self):
        if self.label not in PII_CLASSES:
            raise ValueError(f"unknown PII class {self.label!r}; expected one of {PII_CLASSES}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"empty or negative span [{self.start}, {self.end})")
        if len(self.value) != self.end - self.start:
            raise ValueError(f"value {self.value!r} does not fill [{self.start}, {self.end})")

    def overlaps(self, other: PiiSpan) -> bool:
        return self.start < other.end and other.start < self.end

    def as_dict(self) -> dict:
        return asdict(self)


def span_at(text: str, start: int, end: int, label: str, source: str = "") -> PiiSpan:
    """The span ``text[start:end]`` with its value filled in."""
    return PiiSpan(start, end, label, text[start:end], source)


def resolve_overlaps(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Non-overlapping spans in text order: of two that overlap, the longer wins.

    Several detectors can claim the same characters (a password that also looks
    like a high-entropy key, an email inside a connection string); the redactor
    needs each character replaced at most once. Ties go to the higher score,
    then to the earlier start.
    """
    ranked = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.start, s.label))
    kept: list[PiiSpan] = []
    for span in ranked:
        if not any(span.overlaps(other) for other in kept):
            kept.append(span)
    return sorted(kept)
