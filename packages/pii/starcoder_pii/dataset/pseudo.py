"""Pseudo-labels for the PII a real host file already holds.

StarCoder labelled part of its NER data with pseudo-labels (the predictions
of an ensemble on unlabelled code, kept where confident). Here the host files
that receive injected PII are real code, with real copyright lines, author
names, handles and addresses; left unlabelled they teach the model that a
name in a copyright header is not PII. :func:`pseudo_labels` labels them with
the rules that are precise on real files (the regexes' emails and addresses,
the context rules' names and handles; precision 0.96-1.0 on the real-file
set) and rejects hosts where the rules find a key or password, whose
boundaries and truth the rules do not know well enough to teach.
"""

from __future__ import annotations

from ..detectors.rules import RulesDetector
from ..spans import EMAIL, IP_ADDRESS, KEY, NAME, PASSWORD, USERNAME, PiiSpan

PSEUDO_CLASSES = (NAME, EMAIL, IP_ADDRESS, USERNAME)  # labelled from the rules' finds
REJECTING_CLASSES = (KEY, PASSWORD)  # a host where the rules find one is skipped


class PseudoLabeller:
    """``(text, path) -> spans`` of the host's own PII, or None to skip the host."""

    def __init__(self, rules: RulesDetector | None = None):
        self.rules = rules or RulesDetector()

    def __call__(self, text: str, path: str) -> list[PiiSpan] | None:
        found = self.rules(text, path)
        if any(s.label in REJECTING_CLASSES for s in found):
            return None
        return [s for s in found if s.label in PSEUDO_CLASSES and "\n" not in s.value]
