"""The rule-based candidates of the learned system: the baseline plus PII found by its context.

:class:`RulesDetector` is StarCoder's baseline (:class:`~.baseline.BaselineDetector`)
with the context rules added (names in author, copyright and credit lines,
handles in profile URLs and mentions, credentials passed by position or in a
header: :mod:`.names`, :mod:`.handles`, :mod:`.credentials`) and placeholder
passwords (``changeme``) taken out. It needs no model, so it is also the
redactor of a fresh checkout, and the learned system
(:class:`~starcoder_pii.learned.LearnedDetector`) starts from its spans and
never drops one of its keys or passwords.
"""

from __future__ import annotations

from ..spans import PASSWORD, PiiSpan, resolve_overlaps
from .baseline import BaselineDetector
from .credentials import detect_credentials, is_placeholder_password
from .handles import detect_handles
from .names import detect_contact_names


def detect_in_context(text: str) -> list[PiiSpan]:
    """NAME, USERNAME, KEY and PASSWORD spans that the context rules find (may overlap)."""
    return detect_contact_names(text) + detect_handles(text) + detect_credentials(text)


class RulesDetector:
    """The baseline's spans and the context rules', placeholder passwords left out."""

    name = "rules"

    def __init__(self, baseline: BaselineDetector | None = None):
        self.baseline = baseline or BaselineDetector()

    def __call__(self, text: str, path: str = "file.txt") -> list[PiiSpan]:
        spans = self.baseline(text, path) + detect_in_context(text)
        kept = [s for s in spans if not (s.label == PASSWORD and is_placeholder_password(s.value))]
        return resolve_overlaps(kept)

    def detect_batch(self, texts: list[str], paths: list[str]) -> list[list[PiiSpan]]:
        return [self(text, path) for text, path in zip(texts, paths, strict=True)]
