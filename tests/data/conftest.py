"""Fixtures shared by the token tests: a byte-level tokenizer with StarCoder's special tokens."""

from __future__ import annotations

import pytest
from starcoder_data.tokens import SpecialIds
from test_tokens_tokenizer import byte_level_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return byte_level_tokenizer()


@pytest.fixture(scope="module")
def special(tokenizer):
    return SpecialIds.from_tokenizer(tokenizer)
