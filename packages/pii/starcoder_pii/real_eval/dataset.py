"""The real-file PII set on disk: one JSON record per window, spans [start, end, label, value]."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from ..spans import CLASSES, PiiSpan

DATA_FILE = "real_files.jsonl"  # in starcoder_pii/data
# Licenses a window may carry: permissive, redistribution allowed (SPDX ids).
PERMISSIVE_LICENSES = frozenset(
    {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "Zlib", "curl", "PSF-2.0"}
)
# Classes whose gold values must not survive redaction (names and usernames are
# words that recur in ordinary text, so their verbatim survival is no leak test).
LEAK_CLASSES = tuple(c.name for c in CLASSES if c.leak_checked)


@dataclass(frozen=True)
class RealWindow:
    """A window of a real file, its gold spans and where it came from.

    ``injected``: secrets were inserted into the real text (their spans are the
    inserted values); ``hard_negative``: no gold span, so any redaction is wrong;
    ``corpus_repos``: curated-corpus repos of the same package, which training
    must not read (:func:`excluded_repos`).
    """

    id: str
    source: str
    package: str
    license: str
    corpus_repos: tuple[str, ...]
    injected: bool
    hard_negative: bool
    text: str
    spans: tuple[PiiSpan, ...]

    @property
    def path(self) -> str:
        """The file name detectors see (``detect-secrets`` picks its grammar by extension)."""
        return self.source

    @classmethod
    def from_record(cls, record: dict) -> RealWindow:
        spans = tuple(
            PiiSpan(start, end, label, value, "gold")
            for start, end, label, value in record["spans"]
        )
        return cls(
            id=record["id"],
            source=record["source"],
            package=record["package"],
            license=record["license"],
            corpus_repos=tuple(record.get("corpus_repos", ())),
            injected=bool(record["injected"]),
            hard_negative=bool(record["hard_negative"]),
            text=record["text"],
            spans=spans,
        )


def read_records() -> list[dict]:
    """The raw JSON records of the data file, in file order."""
    data = resources.files("starcoder_pii.data").joinpath(DATA_FILE)
    with data.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_real_windows(*, injected: bool | None = None) -> list[RealWindow]:
    """The windows of the real-file set; ``injected=False`` keeps the untouched ones only.

    Spans are checked as they load (a value that does not fill its span raises),
    see :class:`~starcoder_pii.spans.PiiSpan`.
    """
    windows = [RealWindow.from_record(r) for r in read_records()]
    return [w for w in windows if injected is None or w.injected == injected]


def excluded_repos(windows: list[RealWindow] | None = None) -> frozenset[str]:
    """Curated-corpus repo names (``usr-include/curl``) a training sample must skip.

    The windows come from files the corpus does not read (Debian docs and the
    Debian Python packages), but some of their packages also install headers
    the corpus does read; training on those would put the set's authors in front
    of the model.
    """
    windows = load_real_windows() if windows is None else windows
    return frozenset(repo for w in windows for repo in w.corpus_repos)


def disjoint_windows(windows: list[RealWindow], training_repos: set[str]) -> list[RealWindow]:
    """The windows none of whose package's corpus repos a model's training set read."""
    return [w for w in windows if not set(w.corpus_repos) & set(training_repos)]
