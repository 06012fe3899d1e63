"""FIM per packed sample (Megatron's placement): complete segments, exact undo, rates, seeding."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import pytest
from starcoder_data.tokens import (
    FimConfig,
    FimTransform,
    SpecialIds,
    pack_sequences,
    undo_fim_segment,
)
from starcoder_data.tokens.fim_transform import split_header, split_segments

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SEQ_LEN = 256
CORPUS_CHARS = 2_500_000  # ~25k segments: enough to measure the rates to +-0.01


@pytest.fixture(scope="module")
def epoch(tokenizer, special):
    """A packed epoch of real code: documents of 10..250 characters, some with metadata."""
    rng = np.random.default_rng(7)
    text = ""
    for path in sorted(STDLIB.glob("*.py")):
        if len(text) >= CORPUS_CHARS:
            break
        text += path.read_text(errors="replace")
    documents, start = [], 0
    while start < len(text):
        end = start + int(rng.integers(10, 250))
        header = "<filename>lib/x.py<gh_stars>1-10\n" if rng.random() < 0.2 else ""
        documents.append(header + text[start:end])
        start = end
    encoded = tokenizer.encode_batch_fast(documents, add_special_tokens=False)
    ids = [np.asarray([*e.ids, special.eod]) for e in encoded]
    rows, _ = pack_sequences(ids, SEQ_LEN, dtype=np.int64)
    return rows


def _transform(tokenizer, rate=0.5, spm_rate=0.5, seed=0):
    return FimTransform(tokenizer, FimConfig(rate=rate, spm_rate=spm_rate, seed=seed))


def _text(tokenizer, ids) -> str:
    return tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)


def _layout(ids: list[int], special: SpecialIds) -> str:
    """'psm', 'spm' or 'none' for a complete segment; an AssertionError for a broken one."""
    pre, mid, suf = special.fim_prefix, special.fim_middle, special.fim_suffix
    marks = [i for i, t in enumerate(ids) if t in (pre, mid, suf)]
    if not marks:
        return "none"
    assert [ids[i] for i in marks] in ([pre, suf, mid],), ids
    if marks[1] == marks[0] + 1:
        return "spm"  # also PSM with an empty prefix: both undo the same way
    return "psm"


def test_every_fim_segment_of_every_row_is_complete_and_undoes_exactly(tokenizer, special, epoch):
    transform = _transform(tokenizer)
    out, modes = transform.transform(epoch, np.zeros(len(epoch), int), np.arange(len(epoch)))
    np.testing.assert_array_equal(out[:200], transform.apply(epoch[:200], [0] * 200, range(200)))
    assert out.shape == epoch.shape == (len(epoch), SEQ_LEN) and len(epoch) > 1000
    counts = {"none": 0, "psm": 0, "spm": 0, "whole": 0, "dropped": 0}
    for before, after, row_modes in zip(epoch.tolist(), out.tolist(), modes, strict=True):
        original = [s for s in split_segments(before, special.eod) if s.ids]
        while after and after[-1] == special.fim_pad:
            after.pop()
        result = [s for s in split_segments(after, special.eod) if s.ids]
        assert len(row_modes) == len(original) >= len(result)
        assert row_modes[len(result) :] == ["dropped"] * (len(original) - len(result))
        for i, segment in enumerate(result):
            layout, mode = _layout(segment.ids, special), row_modes[i]
            counts[mode] += 1
            # PSM with an empty prefix reads like SPM; every other layout is what was drawn
            assert (
                layout == mode
                or (mode == "psm" and layout == "spm")
                or (mode == "whole" and layout == "none")
            )
            if i < len(result) - 1:  # complete: an <|endoftext|> follows it in the row
                assert segment.eod and original[i].eod
                restored = undo_fim_segment(segment.ids, special)
                assert _text(tokenizer, restored) == _text(tokenizer, original[i].ids)
                if layout == "none":
                    assert segment.ids == original[i].ids
    fim = counts["psm"] + counts["spm"]
    eligible = fim + counts["none"]
    assert eligible > 20_000 and counts["whole"] < 0.02 * eligible
    # 0.5 +- 0.01 over > 20k segments (binomial sd < 0.0036: the bound is ~3 sd)
    assert abs(fim / eligible - 0.5) < 0.01, counts
    assert abs(counts["spm"] / fim - 0.5) < 0.02, counts  # > 10k FIM segments: sd < 0.005
    print("fim counts over the epoch:", counts)


def test_undo_restores_every_segment_that_was_not_trimmed(tokenizer, special):
    code = (STDLIB / "textwrap.py").read_text()[:400]
    ids = tokenizer.encode(code, add_special_tokens=False).ids
    row = np.asarray([*ids[:100], special.eod, *ids[100:180], special.eod, *[7] * 60])[None, :]
    width = row.shape[1]
    out = _transform(tokenizer, rate=1.0).apply(row, [0], [0])[0].tolist()
    assert len(out) == width
    segments = split_segments([t for t in out if t != special.fim_pad], special.eod)
    assert _text(tokenizer, undo_fim_segment(segments[0].ids, special)) == _text(
        tokenizer, ids[:100]
    )
    assert _text(tokenizer, undo_fim_segment(segments[1].ids, special)) == _text(
        tokenizer, ids[100:180]
    )
    assert {_layout(s.ids, special) for s in segments[:2]} <= {"psm", "spm"}


def test_an_overflowing_segment_is_trimmed_keeping_its_sentinels(tokenizer, special):
    code = (STDLIB / "shlex.py").read_text()
    ids = tokenizer.encode(code, add_special_tokens=False).ids[:SEQ_LEN]
    rows = np.asarray([ids] * 50)  # one document running past the row: no <|endoftext|>
    out = _transform(tokenizer, rate=1.0).apply(rows, np.zeros(50, int), np.arange(50))
    assert out.shape == (50, SEQ_LEN)
    layouts = {_layout([t for t in row if t != special.fim_pad], special) for row in out.tolist()}
    assert layouts == {"psm", "spm"}  # every row FIM, every row complete
    assert special.eod not in out


def test_metadata_stays_in_front_of_the_fim_segment(tokenizer, special):
    text = "<reponame>acme/app<filename>src/a.py\ndef f(x):\n    return x + 1\n"
    assert split_header(text) == ("<reponame>acme/app<filename>src/a.py\n", text[37:])
    assert split_header("def f(): pass\n") == ("", "def f(): pass\n")
    assert split_header("<gh_stars>1-10") == ("<gh_stars>1-10", "")
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    row = np.asarray([*ids, special.eod] + [special.eod] * (64 - len(ids) - 1))[None, :]
    header = tokenizer.encode(text[:37], add_special_tokens=False).ids
    for index in range(20):
        out = _transform(tokenizer, rate=1.0).apply(row, [0], [index])[0].tolist()
        assert out[: len(header)] == header and out[len(header)] == special.fim_prefix
        segment = split_segments(out, special.eod)[0]
        assert _text(tokenizer, undo_fim_segment(segment.ids, special)) == text


def test_draws_depend_on_seed_epoch_and_index_only(tokenizer, epoch):
    rows, transform = epoch[:64], _transform(tokenizer)
    indices = np.arange(100, 164)
    first = transform.apply(rows, np.full(64, 3), indices)
    np.testing.assert_array_equal(first, transform.apply(rows, np.full(64, 3), indices))
    one_by_one = [transform.apply(rows[i : i + 1], [3], [indices[i]])[0] for i in range(64)]
    np.testing.assert_array_equal(first, np.stack(one_by_one))  # not the batch it came in
    other_epoch = transform.apply(rows, np.full(64, 4), indices)
    other_seed = _transform(tokenizer, seed=1).apply(rows, np.full(64, 3), indices)
    changed = [(a != b).any() for a, b in zip(first, other_epoch, strict=True)]
    assert sum(changed) > 40  # a fresh draw per epoch (a row may draw "no FIM" twice)
    assert sum((a != b).any() for a, b in zip(first, other_seed, strict=True)) > 40


def test_rate_zero_is_the_packed_rows_and_edge_rows(tokenizer, special, epoch):
    np.testing.assert_array_equal(
        _transform(tokenizer, rate=0.0).apply(epoch[:8], np.zeros(8, int), np.arange(8)), epoch[:8]
    )
    transform = _transform(tokenizer, rate=1.0)
    empty = np.empty((0, 16), np.int64)
    assert transform.apply(empty, [], []).shape == (0, 16)
    eods = np.full((2, 16), special.eod)
    np.testing.assert_array_equal(transform.apply(eods, [0, 0], [0, 1]), eods)
    one = np.asarray([[special.eod, 40, special.eod, special.eod, 41, 42, 43, 44]])
    out = transform.apply(one, [0], [0])[0].tolist()
    assert len(out) == 8 and out[0] == special.eod and out.count(special.fim_prefix) >= 1


def test_a_segment_with_a_broken_character_is_kept_whole(tokenizer, special):
    ids = tokenizer.encode("x = '日本'\n", add_special_tokens=False).ids
    cut = ids[:-3]  # ends inside a multi-byte character
    assert "\ufffd" in _text(tokenizer, cut)
    row = np.asarray([[*cut, special.eod] + [special.eod] * 4])
    out = _transform(tokenizer, rate=1.0).apply(row, [0], [0])
    np.testing.assert_array_equal(out, row)


def test_bad_rates_are_refused():
    with pytest.raises(ValueError, match="rate must lie in"):
        FimConfig(rate=1.5)
    with pytest.raises(ValueError, match="spm_rate must lie in"):
        FimConfig(spm_rate=-0.1)
