"""PII test fixtures: a tiny project tokenizer and a micro StarEncoder in HF format."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])
CORPUS = [
    "password = 'hunter22'  # Jane Doe <jane@acme.io>\nKEY = 'AKIA4J7ZQX2M5NBVK3WP'\n",
    (STDLIB / "glob.py").read_text(),
    (STDLIB / "fnmatch.py").read_text(),
]


@pytest.fixture(scope="session")
def pii_corpus() -> list[str]:
    return list(CORPUS)


@pytest.fixture(scope="session")
def pii_tokenizer_dir(tmp_path_factory):
    """A 400-token project tokenizer (StarCoder's special tokens first)."""
    from bpe_fixture import tiny_bpe
    from starcoder_model.tokenizer import save_tokenizer

    return save_tokenizer(tiny_bpe(CORPUS, vocab_size=400), tmp_path_factory.mktemp("pii_tok"))


@pytest.fixture(scope="session")
def micro_encoder_dir(pii_tokenizer_dir, tmp_path_factory):
    """An untrained micro StarEncoder (BertForPreTraining) with its tokenizer."""
    from starcoder_pii.encoder import build_encoder, encoder_tokenizer, get_preset, save_hf

    tokenizer = encoder_tokenizer(pii_tokenizer_dir)
    model = build_encoder(get_preset("micro"), tokenizer)
    return save_hf(model, tokenizer, tmp_path_factory.mktemp("micro_encoder"))
