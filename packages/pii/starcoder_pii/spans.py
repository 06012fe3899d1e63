"""The one record every detector returns: a labelled character span of a file.

StarCoder's PII annotation (Li et al. 2023, section 4) has six classes; the
detectors, the NER model, the evaluation and the redactor all speak in
:class:`PiiSpan`, half-open ``[start, end)`` character offsets into the file's
text, so they compose without converting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

NAME = "NAME"
EMAIL = "EMAIL"
KEY = "KEY"
PASSWORD = "PASSWORD"
IP_ADDRESS = "IP_ADDRESS"
USERNAME = "USERNAME"


@dataclass(frozen=True, kw_only=True)
class PiiClass:
    """What the package knows of one PII class, in one record (:data:`CLASSES`)."""

    name: str
    placeholder: str | None  # the redactor's replacement; None: a synthetic address
    min_chars: int  # shortest value the NER detector reports (shorter finds are noise)
    word_chars: re.Pattern  # characters of a value: a model span is widened to their run
    leak_checked: bool  # the real-file set counts its values left after redaction
    secret: bool = False  # a credential: recall-first, the model may not drop a rule's find


# StarCoder's six classes (Li et al. 2023, section 4) and their placeholders (section 4.4).
# min_chars: a model's one- or two-character "keys" are noise (StarCoder's baseline had
# the same floor for keys). word_chars: passwords stop at ":" "@" "/" so that
# "user:pw@host" keeps its user and host apart.
CLASSES: tuple[PiiClass, ...] = (
    PiiClass(name=NAME, placeholder="<NAME>", min_chars=3,
             word_chars=re.compile(r"[^\W\d_]|['\-]"), leak_checked=False),
    PiiClass(name=EMAIL, placeholder="<EMAIL>", min_chars=6,
             word_chars=re.compile(r"[\w.%+\-@]"), leak_checked=True),
    PiiClass(name=KEY, placeholder="<KEY>", min_chars=8,
             word_chars=re.compile(r"[A-Za-z0-9+/=_\-.]"), leak_checked=True, secret=True),
    PiiClass(name=PASSWORD, placeholder="<PASSWORD>", min_chars=4,
             word_chars=re.compile(r"[^\s'\"`,;:@/]"), leak_checked=True, secret=True),
    PiiClass(name=IP_ADDRESS, placeholder=None, min_chars=7,
             word_chars=re.compile(r"[0-9A-Fa-f.:]"), leak_checked=True),
    PiiClass(name=USERNAME, placeholder="<USERNAME>", min_chars=3,
             word_chars=re.compile(r"[\w.\-]"), leak_checked=False),
)  # fmt: skip
CLASS_BY_NAME: dict[str, PiiClass] = {c.name: c for c in CLASSES}
PII_CLASSES: tuple[str, ...] = tuple(c.name for c in CLASSES)


def pii_class(name: str) -> PiiClass:
    """The record of class ``name``; an unknown name raises ``ValueError``."""
    try:
        return CLASS_BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown PII class {name!r}; expected one of {PII_CLASSES}") from None


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
