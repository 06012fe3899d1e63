"""One registry of PII classes: every per-class table of the package is derived from it."""

import pytest
from starcoder_pii.learned import VERIFIED_CLASSES
from starcoder_pii.ner.detector import MIN_CHARS
from starcoder_pii.ner.windows import snap_to_word
from starcoder_pii.real_eval import LEAK_CLASSES
from starcoder_pii.redact import PLACEHOLDERS
from starcoder_pii.spans import CLASSES, PII_CLASSES, pii_class


def test_tables_come_from_the_registry():
    assert PII_CLASSES == ("NAME", "EMAIL", "KEY", "PASSWORD", "IP_ADDRESS", "USERNAME")
    assert PLACEHOLDERS == {
        "NAME": "<NAME>", "EMAIL": "<EMAIL>", "KEY": "<KEY>", "PASSWORD": "<PASSWORD>",
        "USERNAME": "<USERNAME>",
    }  # fmt: skip
    assert MIN_CHARS == {c.name: c.min_chars for c in CLASSES}
    assert MIN_CHARS["KEY"] == 8 and MIN_CHARS["PASSWORD"] == 4
    assert LEAK_CLASSES == ("EMAIL", "KEY", "PASSWORD", "IP_ADDRESS")
    assert VERIFIED_CLASSES == ("KEY", "PASSWORD")


def test_word_characters_decide_how_far_a_span_widens():
    text = "db = 'user:s3cr3t@host'"
    start = text.index("cr")
    assert text[slice(*snap_to_word(text, start, start + 2, "PASSWORD"))] == "s3cr3t"
    assert text[slice(*snap_to_word(text, start, start + 2, "KEY"))] == "s3cr3t"
    with pytest.raises(ValueError, match="PHONE"):
        pii_class("PHONE")
