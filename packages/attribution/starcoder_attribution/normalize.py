"""Whitespace normalisation, keeping the way back to the original characters.

Data Portraits (Marone & Van Durme 2023), the membership test StarCoder shipped,
hashes n-grams of whitespace-normalised text so that re-indented or re-wrapped
code still matches. Every run of whitespace becomes one space and the ends are
stripped; ``offsets[i]`` is where normalised character ``i`` came from, so a
match found in normalised text is reported on the text the user gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NormalizedText:
    text: str
    offsets: np.ndarray  # int64, len(text) + 1: original index of each character, then the end

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` covering normalised ``[start, end)``."""
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


def normalize_whitespace(text: str) -> str:
    """``text`` with every whitespace run collapsed to one space, ends stripped."""
    return _WHITESPACE.sub(" ", text).strip()


def normalize_with_offsets(text: str) -> NormalizedText:
    """Normalise as :func:`normalize_whitespace` and record each character's origin."""
    pieces: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _WHITESPACE.finditer(text):
        start, end = match.span()
        pieces.append(text[position:start])
        offsets.extend(range(position, start))
        if 0 < start and end < len(text):  # inner run: one space; runs at the ends go
            pieces.append(" ")
            offsets.append(start)
        position = end
    pieces.append(text[position:])
    offsets.extend(range(position, len(text)))
    normalized = "".join(pieces)
    offsets.append(len(text))
    return NormalizedText(normalized, np.asarray(offsets, dtype=np.int64))
