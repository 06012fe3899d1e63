"""Fill-in-the-middle at the character level, as StarCoder trained it (paper, section 5.1).

bigcode Megatron-LM's ``permute`` (``megatron/data/gpt_dataset.py``, after
Bavarian et al. 2022) turns a document into FIM form with probability
``fim_rate``: it decodes the document to text, draws two cut points uniformly
in ``[0, len(text)]`` (``randint(0, len + 1, size=2)``, sorted), tokenises
prefix, middle and suffix separately, and lays them out, with probability
``fim_spm_rate`` in SPM order, else PSM::

    PSM  <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle
    SPM  <fim_prefix> <fim_suffix> suffix <fim_middle> prefix middle

The draws happen in that order (apply?, cuts, SPM?) here too. These are the
pieces; :mod:`.fim_transform` applies them as Megatron did, to each segment of
each packed training sample. A text that already holds a FIM sentinel is left
whole: its layout could not be parsed back (``undo_fim``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..families import get_family
from ..special_tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
from .tokenizer import SpecialIds

PSM = "psm"
SPM = "spm"
_SENTINELS = (FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX)


@dataclass(frozen=True)
class FimCut:
    """Where a document is cut (character offsets, ``start <= end``) and in which order."""

    start: int
    end: int
    spm: bool

    @property
    def mode(self) -> str:
        return SPM if self.spm else PSM

    def pieces(self, text: str) -> tuple[str, str, str]:
        """``(prefix, middle, suffix)`` of ``text``."""
        return text[: self.start], text[self.start : self.end], text[self.end :]


def fim_prompt(prefix: str, suffix: str) -> str:
    """StarCoder's PSM infilling prompt: the model writes the middle, then end-of-text.

    Other families spell it their own way: ``family_for(...).fim_prompt`` in
    :mod:`starcoder_data.families`, where every family's format is written.
    """
    return get_family("starcoder").fim_prompt(prefix, suffix)


def has_fim_sentinel(text: str, sentinels: Sequence[str] = _SENTINELS) -> bool:
    """Whether ``text`` holds a FIM sentinel (StarCoder's, or the family's ``sentinels``)."""
    return any(sentinel in text for sentinel in sentinels)


def draw_fim(
    text: str,
    rng: np.random.Generator,
    fim_rate: float,
    spm_rate: float,
    sentinels: Sequence[str] = _SENTINELS,
) -> FimCut | None:
    """Megatron's draws for one document: None (kept whole) or where and how to cut it."""
    if has_fim_sentinel(text, sentinels) or not rng.binomial(1, fim_rate):
        return None
    start, end = sorted(rng.integers(0, len(text) + 1, size=2).tolist())
    return FimCut(start, end, spm=bool(rng.binomial(1, spm_rate)))


def join_fim(
    prefix: Sequence[int],
    middle: Sequence[int],
    suffix: Sequence[int],
    spm: bool,
    special: SpecialIds,
) -> list[int]:
    """The FIM layout of separately tokenised pieces (no end-of-document token)."""
    pre, mid, suf = special.fim_prefix, special.fim_middle, special.fim_suffix
    if spm:
        return [pre, suf, *suffix, mid, *prefix, *middle]
    return [pre, *prefix, suf, *suffix, mid, *middle]


def undo_fim(ids: Sequence[int], special: SpecialIds) -> list[int]:
    """Undo :func:`join_fim`: prefix + middle + suffix ids (a trailing EOD stays last).

    A document not in FIM form comes back unchanged. SPM and PSM with an empty
    prefix share their first two tokens; both undo the same way, so the
    ambiguity is harmless. The pieces were tokenised separately, so the result
    decodes to the original text but need not equal the text's own tokenisation.
    """
    ids = [int(i) for i in ids]
    tail = [ids.pop()] if ids and ids[-1] == special.eod else []
    if not ids or ids[0] != special.fim_prefix:
        return ids + tail
    try:
        suf = ids.index(special.fim_suffix, 1)
        mid = ids.index(special.fim_middle, suf + 1)
    except ValueError:
        raise ValueError("a FIM document without its <fim_suffix> or <fim_middle>") from None
    prefix, suffix, rest = ids[1:suf], ids[suf + 1 : mid], ids[mid + 1 :]
    return prefix + rest + suffix + tail
