"""Fill-in-the-middle per training sample, after packing: Megatron's placement.

bigcode Megatron-LM (``megatron/data/gpt_dataset.py``, ``GPTDataset.__getitem__``
and ``permute``) applies FIM to each training sample, not to stored documents:
it splits the packed sequence at ``<|endoftext|>``, and each non-empty segment
independently, with probability ``fim_rate``, is decoded to text, cut at two
character offsets drawn uniformly in ``[0, len]``, its prefix, middle and
suffix re-tokenised separately and laid out in SPM order (probability
``fim_spm_rate``) or PSM (:func:`~.fim.join_fim`); the segments are joined
again with ``<|endoftext|>``. So a FIM example always lies inside one context
window, whatever the length of its document.

The result has a different length than the sample (three sentinels, and the
pieces' own tokenisation). Megatron then cuts the joined sample at its length,
or pads its end with ``<fim_pad>``. Cutting the end can cut the last segment's
``<fim_middle>`` (or ``<fim_suffix>``) off; here the overflowing segment is
trimmed instead piece by piece from the end (middle, then suffix, then prefix
in PSM; prefix+middle, then suffix in SPM), keeping its three sentinels, so
every FIM segment in a row is complete. A segment too short for its sentinels
is kept as plain tokens. Padding is Megatron's (``<fim_pad>`` at the end,
trained on like any token).

Departures, each for a reason:

* The draws come from a generator seeded by ``(seed, epoch, index)``, not from
  one stream consumed in loader order as in Megatron: a run resumed at any
  step draws exactly what an uninterrupted run draws, and each epoch draws
  afresh.
* Repository metadata (``<reponame>``, ``<filename>``, ``<gh_stars>``, the
  header line :mod:`.metadata` puts in front of a file) stays in front of the
  FIM segment and outside the transform. StarCoder's Megatron permuted the
  stored text, metadata included, so a file name could land in the middle;
  keeping it first means the model always sees the conditioning before the
  code, as an infilling prompt with metadata gives it.
* Another model family (:mod:`starcoder_data.families`) gets its own
  sentinels, end-of-text and padding (``<|fim_pad|>`` for Qwen2.5-Coder,
  end-of-text where a family has none), from the ids the transform is given;
  a family without StarCoder's metadata tokens has no header to keep apart.
* A segment whose text holds a FIM sentinel, or a broken UTF-8 character (a
  row boundary or a document cut inside a multi-byte character decodes to
  U+FFFD, which would re-encode to other bytes), is kept whole: its FIM form
  could not be undone exactly. The draws are made all the same, so the rate
  among eligible segments stays ``fim_rate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..special_tokens import FILENAME, GH_STARS, REPONAME
from .fim import draw_fim, has_fim_sentinel, join_fim, undo_fim
from .tokenizer import SpecialIds

_FIM_STREAM = 0x46494D  # "FIM": keeps these draws apart from any other use of the seed
_METADATA = (REPONAME, FILENAME, GH_STARS)
_BROKEN = "\ufffd"
NONE, WHOLE = "none", "whole"  # not drawn for FIM; not eligible (kept whole)


@dataclass(frozen=True, kw_only=True)
class FimConfig:
    """How often and in which order training samples are put in FIM form."""

    rate: float = 0.5  # StarCoder: --fim-rate 0.5 (half of the segments)
    spm_rate: float = 0.5  # StarCoder: --fim-spm-rate 0.5 (half of those in SPM)
    seed: int = 0

    def __post_init__(self):
        for name in ("rate", "spm_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"fim {name} must lie in [0, 1], got {getattr(self, name)}")


@dataclass
class _Segment:
    ids: list[int]  # the tokens between two <|endoftext|> (or a row edge)
    eod: bool  # whether an <|endoftext|> followed it in the row
    header: str = ""
    pieces: tuple[str, str, str] | None = None  # prefix, middle, suffix when in FIM form
    spm: bool = False
    mode: str = NONE  # what the row shows: "psm", "spm", "none" or "whole"


def split_segments(row: list[int], eod: int) -> list[_Segment]:
    """The row cut at every ``<|endoftext|>``: each segment, and whether one followed it."""
    segments, start = [], 0
    for i, token in enumerate(row):
        if token == eod:
            segments.append(_Segment(row[start:i], True))
            start = i + 1
    if start < len(row):
        segments.append(_Segment(row[start:], False))
    return segments


def split_header(text: str, metadata: tuple[str, ...] = _METADATA) -> tuple[str, str]:
    """``(metadata header line, rest)``: the header when the text opens with a metadata token."""
    if not metadata or not text.startswith(metadata):
        return "", text
    end = text.find("\n")
    return (text, "") if end < 0 else (text[: end + 1], text[end + 1 :])


class FimTransform:
    """Puts packed rows into FIM form per segment (see the module docstring).

    ``tokenizer`` is a ``tokenizers.Tokenizer`` (the one the shards were packed
    with), ``special`` its ids in its model family's format
    (:func:`~.tokenizer.special_ids_for`; None: StarCoder's). :meth:`apply`
    transforms a batch of rows at once, with one decode and one encode call
    for all of them.
    """

    def __init__(self, tokenizer, config: FimConfig, special: SpecialIds | None = None):
        self.tokenizer = tokenizer
        self.config = config
        self.special = special or SpecialIds.from_tokenizer(tokenizer)
        if config.rate > 0 and not self.special.has_fim:
            from ..families import FimUnsupportedError

            raise FimUnsupportedError(
                "fim_rate is above 0 but this tokenizer's model family has no FIM sentinel "
                "tokens (it was not trained for fill-in-the-middle): train with fim_rate 0"
            )
        ids = (self.special.fim_prefix, self.special.fim_middle, self.special.fim_suffix)
        self._sentinels = set(ids) if self.special.has_fim else set()
        self._sentinel_texts = tuple(tokenizer.id_to_token(i) for i in self._sentinels)
        metadata = (self.special.reponame, self.special.filename, self.special.gh_stars)
        self._metadata_texts = (
            tuple(tokenizer.id_to_token(i) for i in metadata) if self.special.has_metadata else ()
        )

    def rng(self, epoch: int, index: int) -> np.random.Generator:
        """The generator of one sample's draws: a pure function of (seed, epoch, index)."""
        return np.random.default_rng([self.config.seed, _FIM_STREAM, int(epoch), int(index)])

    def apply(self, rows: np.ndarray, epochs, indices) -> np.ndarray:
        """Rows ``(n, seq_len)`` of samples ``indices`` in ``epochs`` -> their FIM form."""
        return self.transform(rows, epochs, indices)[0]

    def transform(self, rows: np.ndarray, epochs, indices) -> tuple[np.ndarray, list[list[str]]]:
        """:meth:`apply`, and for each row the mode of each of its segments.

        Modes are listed for the non-empty segments of the packed row in
        order, as the output shows them: ``"psm"``, ``"spm"``, ``"none"``
        (drawn not to be FIM), ``"whole"`` (not eligible), or ``"dropped"``
        when the segments before it filled the row.
        """
        rows = np.asarray(rows)
        if self.config.rate == 0 or rows.size == 0:
            return rows.copy(), [[] for _ in range(len(rows))]
        plans = [split_segments(row.tolist(), self.special.eod) for row in rows]
        segments = [s for plan in plans for s in plan if s.ids]
        texts = self.tokenizer.decode_batch([s.ids for s in segments], skip_special_tokens=False)
        draws = iter(zip(segments, texts, strict=True))
        for plan, epoch, index in zip(plans, epochs, indices, strict=True):
            rng = self.rng(epoch, index)
            for segment in plan:
                if segment.ids:
                    self._draw(*next(draws), rng)
        pieces = [p for s in segments if s.pieces for p in (s.header, *s.pieces)]
        encoded = iter(self.tokenizer.encode_batch_fast(pieces, add_special_tokens=False))
        out = np.empty_like(rows)
        for r, plan in enumerate(plans):
            out[r] = self._assemble(plan, encoded, rows.shape[1])
        return out, [[s.mode for s in plan if s.ids] for plan in plans]

    def _draw(self, segment: _Segment, text: str, rng: np.random.Generator) -> None:
        header, body = split_header(text, self._metadata_texts)
        sentinels = self._sentinel_texts
        cut = draw_fim(body, rng, self.config.rate, self.config.spm_rate, sentinels)
        if _BROKEN in text or has_fim_sentinel(text, sentinels) or not body:
            segment.mode = WHOLE
        elif cut is not None:
            segment.header, segment.pieces, segment.spm = header, cut.pieces(body), cut.spm
            segment.mode = cut.mode

    def _assemble(self, plan: list[_Segment], encoded, seq_len: int) -> list[int]:
        out: list[int] = []
        for segment in plan:
            budget = seq_len - len(out)
            if segment.pieces is None:
                if budget == 0 and segment.ids:
                    segment.mode = "dropped"
                out += (segment.ids + [self.special.eod] * segment.eod)[:budget]
                continue
            header, prefix, middle, suffix = (next(encoded).ids for _ in range(4))
            layout = join_fim(prefix, middle, suffix, spm=segment.spm, special=self.special)
            if budget == 0:
                segment.mode = "dropped"
            elif len(header) + len(layout) + segment.eod <= budget:
                out += header + layout + [self.special.eod] * segment.eod
            elif len(header) + 3 <= budget:
                out += header + self._trim(layout, len(layout) - (budget - len(header)))
            else:
                segment.mode = NONE  # no room for its sentinels: plain tokens
                out += segment.ids[:budget]
        return out + [self.special.fim_pad] * (seq_len - len(out))

    def _trim(self, layout: list[int], excess: int) -> list[int]:
        """Drop ``excess`` content tokens from the end of a FIM layout, keeping its sentinels."""
        kept = []
        for token in reversed(layout):
            if excess and token not in self._sentinels:
                excess -= 1
                continue
            kept.append(token)
        return kept[::-1]


def undo_fim_segment(ids, special: SpecialIds) -> list[int]:
    """Undo one segment's FIM form, metadata header included: header + prefix + middle + suffix.

    A segment not in FIM form (no ``<fim_prefix>``) comes back unchanged.
    """
    ids = [int(i) for i in ids]
    if special.fim_prefix not in ids:
        return ids
    start = ids.index(special.fim_prefix)
    return ids[:start] + undo_fim(ids[start:], special)
