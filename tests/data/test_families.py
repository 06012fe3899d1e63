"""The model-family table: each family's FIM prompt, detection from a checkpoint, kernels."""

from __future__ import annotations

import pytest
from family_fixture import FAMILY_NAMES, family_tokenizer
from starcoder_data.families import (
    FAMILIES,
    FimUnsupportedError,
    attention_kernels,
    family_for,
    get_family,
)
from starcoder_data.tokens.fim import fim_prompt

EXPECTED_PROMPTS = {
    "starcoder": "<fim_prefix>def f(<fim_suffix>):<fim_middle>",
    "starcoder2": "<fim_prefix>def f(<fim_suffix>):<fim_middle>",
    "codellama": "<PRE> def f( <SUF>): <MID>",
    "deepseek-coder": "<｜fim▁begin｜>def f(<｜fim▁hole｜>):<｜fim▁end｜>",
    "qwen2.5-coder": "<|fim_prefix|>def f(<|fim_suffix|>):<|fim_middle|>",
}


def test_the_table_covers_the_families_with_unique_names():
    assert [f.name for f in FAMILIES] == list(EXPECTED_PROMPTS) == list(FAMILY_NAMES)


@pytest.mark.parametrize("name", list(EXPECTED_PROMPTS))
def test_each_family_spells_its_own_fim_prompt(name):
    assert get_family(name).fim_prompt("def f(", "):") == EXPECTED_PROMPTS[name]


def test_the_starcoder_prompt_is_the_one_training_and_serving_share():
    assert fim_prompt("a", "b") == get_family("starcoder").fim_prompt("a", "b")


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_checkpoint_tokenizer_is_recognised_as_its_family(name):
    tokenizer = family_tokenizer(name, vocab_size=300)
    family = get_family(name)
    assert family_for(family.model_types[0], tokenizer.get_vocab()).name == name
    for token in family.special_tokens():
        assert tokenizer.convert_tokens_to_ids(token) != tokenizer.unk_token_id
        assert tokenizer.decode(tokenizer.encode(token, add_special_tokens=False)) == token


def test_llama_without_sentinels_has_no_fim_and_says_so():
    plain = family_for("llama", {"<s>", "</s>", "hello"})
    assert not plain.supports_fim
    with pytest.raises(FimUnsupportedError, match="fill-in-the-middle"):
        plain.fim_prompt("a", "b")


def test_codellama_and_deepseek_share_an_architecture_but_not_a_format():
    deepseek = family_for("llama", get_family("deepseek-coder").special_tokens())
    codellama = family_for("llama", get_family("codellama").special_tokens())
    assert (deepseek.name, codellama.name) == ("deepseek-coder", "codellama")
    assert codellama.stop_strings({"</s>", "<EOT>"}) == ("</s>", "<EOT>")
    assert deepseek.stop_strings({"<｜end▁of▁sentence｜>"}) == ("<｜end▁of▁sentence｜>",)


def test_unknown_family_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="starcoder2"):
        get_family("gpt-5")


def test_attention_kernels_come_from_the_installed_transformers():
    assert attention_kernels("gpt_bigcode")[:2] == ("eager", "sdpa")
    assert "flex_attention" in attention_kernels("llama")
    with pytest.raises(ValueError, match="no causal LM"):
        attention_kernels("vit")
