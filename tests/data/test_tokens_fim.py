"""FIM at the character level: Megatron's draws, exact PSM/SPM layouts, rates, and undoing it."""

from __future__ import annotations

import numpy as np
import pytest
from starcoder_data.tokens import (
    FimCut,
    draw_fim,
    join_fim,
    undo_fim,
)

TEXT = "def f():\n    return 1\n"


def _enc(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False).ids


def encode_fim(text: str, cut: FimCut | None, tokenizer, special) -> list[int]:
    """A text in the FIM form of ``cut`` (pieces tokenised apart), closed with EOD."""
    if cut is None:
        return [*_enc(tokenizer, text), special.eod]
    prefix, middle, suffix = (_enc(tokenizer, piece) for piece in cut.pieces(text))
    return [*join_fim(prefix, middle, suffix, spm=cut.spm, special=special), special.eod]


def _decode(tokenizer, ids) -> str:
    return tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)


def test_draws_follow_megatron_permute_order():
    for seed in range(20):
        expected_rng = np.random.default_rng(seed)
        cut = draw_fim(TEXT, np.random.default_rng(seed), 0.5, 0.5)
        if not expected_rng.binomial(1, 0.5):
            assert cut is None
            continue
        start, end = sorted(expected_rng.integers(0, len(TEXT) + 1, size=2).tolist())
        spm = bool(expected_rng.binomial(1, 0.5))
        assert cut == FimCut(start, end, spm)


def test_psm_layout(tokenizer, special):
    ids = encode_fim(TEXT, FimCut(4, 9, spm=False), tokenizer, special)
    prefix, middle, suffix = "def ", "f():\n", "    return 1\n"
    assert ids == [
        special.fim_prefix, *_enc(tokenizer, prefix),
        special.fim_suffix, *_enc(tokenizer, suffix),
        special.fim_middle, *_enc(tokenizer, middle),
        special.eod,
    ]  # fmt: skip


def test_spm_layout(tokenizer, special):
    ids = encode_fim(TEXT, FimCut(4, 9, spm=True), tokenizer, special)
    prefix, middle, suffix = "def ", "f():\n", "    return 1\n"
    assert ids == [
        special.fim_prefix, special.fim_suffix, *_enc(tokenizer, suffix),
        special.fim_middle, *_enc(tokenizer, prefix), *_enc(tokenizer, middle),
        special.eod,
    ]  # fmt: skip


def test_layout_from_a_seeded_draw(tokenizer, special):
    modes = set()
    for seed in range(10):
        cut = draw_fim(TEXT, np.random.default_rng(seed), 1.0, 0.5)
        prefix, middle, suffix = (_enc(tokenizer, p) for p in cut.pieces(TEXT))
        pre, mid, suf = special.fim_prefix, special.fim_middle, special.fim_suffix
        expected = (
            [pre, suf, *suffix, mid, *prefix, *middle]
            if cut.spm
            else [pre, *prefix, suf, *suffix, mid, *middle]
        )
        ids = encode_fim(TEXT, cut, tokenizer, special)
        assert ids == [*expected, special.eod]
        modes.add(cut.mode)
    assert modes == {"psm", "spm"}


def test_no_fim_is_the_text_and_eod(tokenizer, special):
    ids = encode_fim(TEXT, None, tokenizer, special)
    assert ids == [*_enc(tokenizer, TEXT), special.eod]


def test_rates_and_uniform_cuts():
    n, text = 8000, "x" * 300
    cuts = [draw_fim(text, np.random.default_rng([1, i]), 0.5, 0.5) for i in range(n)]
    fim = [c for c in cuts if c]
    assert abs(len(fim) / n - 0.5) < 0.02
    assert abs(np.mean([c.spm for c in fim]) - 0.5) < 0.03
    # two sorted uniform points on [0, 300]: means near 100 and 200
    assert abs(np.mean([c.start for c in fim]) - 100) < 4
    assert abs(np.mean([c.end for c in fim]) - 200) < 4
    assert all(0 <= c.start <= c.end <= len(text) for c in fim)
    assert {c.start for c in fim} >= {0} and {c.end for c in fim} >= {len(text)}


def test_rate_zero_and_one():
    rng = np.random.default_rng(0)
    assert all(draw_fim(TEXT, rng, 0.0, 0.5) is None for _ in range(100))
    assert all(draw_fim(TEXT, rng, 1.0, 0.5) is not None for _ in range(100))


def test_a_text_holding_a_fim_sentinel_is_kept_whole():
    assert draw_fim("a <fim_middle> b", np.random.default_rng(0), 1.0, 0.5) is None


def _random_text(rng: np.random.Generator) -> str:
    alphabet = list("abcxyz019 _(){}[]:;.,=+-*/#'\"\t\n") + [
        "é", "ß", "日", "本", "語", "✓", "🙂", "\u0301", "\r\n", "  ", "<filename>", "<gh_stars>",
    ]  # fmt: skip
    n = int(rng.integers(0, 120)) if rng.random() > 0.1 else 0
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), size=n))


def test_undoing_the_permutation_restores_the_document_exactly(tokenizer, special):
    rng = np.random.default_rng(2023)
    texts = ["", "a", "日本語", "🙂🙂", *(_random_text(rng) for _ in range(400))]
    modes = set()
    for i, text in enumerate(texts):
        cut = draw_fim(text, np.random.default_rng([5, i]), 0.9, 0.5)
        ids = encode_fim(text, cut, tokenizer, special)
        restored = undo_fim(ids, special)
        assert restored[-1] == special.eod
        assert _decode(tokenizer, restored[:-1]) == text, (i, cut)
        if cut is None:
            assert restored == ids
        modes.add(cut.mode if cut else "none")
    assert modes == {"none", "psm", "spm"}


def test_undo_of_an_empty_fim_document(tokenizer, special):
    ids = encode_fim("", FimCut(0, 0, spm=False), tokenizer, special)
    assert ids == [special.fim_prefix, special.fim_suffix, special.fim_middle, special.eod]
    assert undo_fim(ids, special) == [special.eod]


def test_undo_refuses_a_broken_fim_document(special):
    with pytest.raises(ValueError, match="fim_suffix"):
        undo_fim([special.fim_prefix, 40, 41, special.eod], special)
