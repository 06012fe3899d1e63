"""Finding StarCoder's special tokens in a tokenizer, and pinning the tokenizer file.

``byte_level_tokenizer`` is the tiny tokenizer the other ``test_tokens_*``
modules use: byte-level BPE over the whole byte alphabet, so any text
round-trips, with StarCoder's special tokens added first.
"""

from __future__ import annotations

import hashlib

import pytest
from bpe_fixture import tiny_bpe
from starcoder_data.special_tokens import FIM_MIDDLE, REPONAME, SPECIAL_TOKENS
from starcoder_data.tokens import (
    SpecialIds,
    TokenizerError,
    load_tokenizer_json,
    tokenizer_sha256,
)

CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "int main(void) {\n    return 0;\n}\n",
    "# héllo wörld ✓ 日本語\nprint('hi')\n",
] * 10


def byte_level_tokenizer(special_tokens=SPECIAL_TOKENS, vocab_size: int = 300):
    return tiny_bpe(CORPUS, vocab_size, special_tokens)


def test_special_ids_are_looked_up_by_string():
    tokenizer = byte_level_tokenizer()
    special = SpecialIds.from_tokenizer(tokenizer)
    assert special.eod == 0 and special.fim_prefix == 1 and special.fim_middle == 2
    assert special.fim_suffix == 3 and special.reponame == len(SPECIAL_TOKENS) - 1
    assert tokenizer.id_to_token(special.gh_stars) == "<gh_stars>"


def test_a_tokenizer_without_starcoder_tokens_is_refused_naming_them():
    partial = [t for t in SPECIAL_TOKENS if t not in (FIM_MIDDLE, REPONAME)]
    with pytest.raises(TokenizerError, match=r"<fim_middle>.*<reponame>"):
        SpecialIds.from_tokenizer(byte_level_tokenizer(partial))


def test_load_and_hash_the_saved_tokenizer(tmp_path):
    byte_level_tokenizer().save(str(tmp_path / "tokenizer.json"))
    assert load_tokenizer_json(tmp_path).get_vocab_size() == 300
    expected = hashlib.sha256((tmp_path / "tokenizer.json").read_bytes()).hexdigest()
    assert tokenizer_sha256(tmp_path) == expected


def test_a_folder_without_tokenizer_json_is_refused(tmp_path):
    with pytest.raises(TokenizerError, match="no tokenizer.json"):
        load_tokenizer_json(tmp_path)
