import numpy as np
import pytest
from bpe_fixture import tiny_bpe
from starcoder_pii.encoder import add_encoder_tokens
from starcoder_pii.ner.windows import (
    LABEL_IDS,
    LABELS,
    WindowConfig,
    decode_spans,
    plan_windows,
    token_labels,
    trim_span,
)
from starcoder_pii.spans import span_at


@pytest.mark.parametrize("n", [0, 5, 510, 511, 1000, 4096])
def test_windows_cover_every_token_once(n):
    config = WindowConfig(window=512, stride=128)
    windows = plan_windows(n, config)
    owned = [i for w in windows for i in range(w.keep_start, w.keep_end)]
    assert owned == list(range(n))
    for w in windows:
        assert w.end - w.start <= 510 and w.start <= w.keep_start <= w.keep_end <= w.end


def test_overlapping_windows_share_stride_tokens():
    a, b = plan_windows(1000, WindowConfig(window=512, stride=128))[:2]
    assert a.end - b.start == 128


def tokenizer():
    from transformers import PreTrainedTokenizerFast

    backend = tiny_bpe(["password = 'hunter22' # by Jane Doe\n" * 20], vocab_size=320)
    return add_encoder_tokens(PreTrainedTokenizerFast(tokenizer_object=backend))


def test_bio_labels_round_trip_to_character_spans():
    tok = tokenizer()
    text = "password = 'hunter22' # by Jane Doe\n"
    gold = [span_at(text, 12, 20, "PASSWORD"), span_at(text, 27, 35, "NAME")]
    encoding = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = [tuple(o) for o in encoding["offset_mapping"]]
    labels = token_labels(offsets, text, gold)
    tags = [LABELS[i] for i in labels if i]
    assert tags[0] == "B-PASSWORD" and tags[-1] == "I-NAME"
    assert LABEL_IDS["B-NAME"] in labels
    decoded = decode_spans(text, offsets, labels)
    assert [(s.label, s.value) for s in decoded] == [("PASSWORD", "hunter22"), ("NAME", "Jane Doe")]


def test_decode_ignores_outside_and_trims_quotes():
    text = 'k = "abc"'
    offsets = [(0, 1), (1, 3), (3, 5), (5, 8), (8, 9)]
    tags = np.array([0, 0, LABEL_IDS["B-KEY"], LABEL_IDS["I-KEY"], LABEL_IDS["I-KEY"]])
    assert [s.value for s in decode_spans(text, offsets, tags)] == ["abc"]


def test_trim_span_never_splits_an_escape():
    text = '"abc\\n"'
    assert trim_span(text, 0, 5) == (1, 4)  # the span stopped inside "\\n"
    assert trim_span(text, 0, 6) == (1, 6)


def test_fragments_of_one_value_are_joined():
    text = 'k = "abc-def"\nPEM\nAAAA\nBBBB\n'
    b = LABEL_IDS["B-KEY"]
    offsets = [(0, 1), (1, 5), (5, 8), (8, 9), (9, 12), (12, 18), (18, 22), (22, 23), (23, 27)]
    tags = np.array([0, 0, b, 0, b, 0, b, 0, b])
    assert [s.value for s in decode_spans(text, offsets, tags)] == ["abc-def", "AAAA\nBBBB"]


def test_first_and_last_name_tagged_apart_make_one_name():
    text = "# Jane Doe  Bob\n"
    b = LABEL_IDS["B-NAME"]
    offsets = [(0, 1), (1, 6), (6, 10), (10, 12), (12, 15), (15, 16)]
    tags = np.array([0, b, b, 0, b, 0])
    decoded = decode_spans(text, offsets, tags)
    assert [s.value for s in decoded] == ["Jane Doe", "Bob"]  # two spaces: two names


def test_spans_snap_to_the_whole_value():
    from starcoder_pii.ner.windows import snap_to_word

    text = 'k = "AKIA4J7ZQX2M5NBVK3WP"; url = "db://bob:pw#1@host"'
    assert text[slice(*snap_to_word(text, 6, 12, "KEY"))] == "AKIA4J7ZQX2M5NBVK3WP"
    start = text.index("pw#1")
    assert text[slice(*snap_to_word(text, start + 1, start + 3, "PASSWORD"))] == "pw#1"
