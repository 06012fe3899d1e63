"""Model presets: published StarCoder shapes, parameter counts on the meta device, sizing math."""

from __future__ import annotations

import pytest
import torch
from starcoder_model.presets import MICRO, PRESETS, TINY, ModelPreset, get_preset
from starcoder_model.sizing import (
    flops_per_token,
    kv_cache_bytes_per_token,
    kv_heads,
    matmul_parameter_count,
    parameter_count,
)
from transformers import GPTBigCodeConfig, GPTBigCodeForCausalLM

# (n_layer, n_embd, n_head, n_positions, n_inner) of bigcode/starcoder and bigcode/starcoderbase-*.
PUBLISHED_SHAPES = {
    "starcoder-15.5b": (40, 6144, 48, 8192, 24576),
    "starcoderbase-1b": (24, 2048, 16, 8192, 8192),
    "starcoderbase-3b": (36, 2816, 22, 8192, 11264),
    "starcoderbase-7b": (42, 4096, 32, 8192, 16384),
}
# Parameters (billions, to 0.01) of the published checkpoints, tied embeddings counted once.
PUBLISHED_BILLIONS = {
    "starcoder-15.5b": 15.52,
    "starcoderbase-1b": 1.14,
    "starcoderbase-3b": 3.04,
    "starcoderbase-7b": 7.33,
}


def _meta_parameter_count(config: GPTBigCodeConfig) -> int:
    """Parameters of the real ``transformers`` model, built without allocating memory."""
    with torch.device("meta"):
        model = GPTBigCodeForCausalLM(config)
    return sum(parameter.numel() for parameter in model.parameters())


@pytest.mark.parametrize("name", sorted(PUBLISHED_SHAPES))
def test_published_presets_match_the_checkpoints(name):
    config = get_preset(name).to_config()
    shape = (config.n_layer, config.n_embd, config.n_head, config.n_positions, config.n_inner)
    assert shape == PUBLISHED_SHAPES[name]
    assert config.vocab_size == 49152
    assert config.multi_query and config.activation_function == "gelu_pytorch_tanh"
    assert config.bos_token_id == config.eos_token_id == 0
    assert config.tie_word_embeddings
    assert (config.attn_pdrop, config.resid_pdrop, config.embd_pdrop) == (0.1, 0.1, 0.1)


@pytest.mark.parametrize("name", sorted(PUBLISHED_BILLIONS))
def test_published_parameter_counts_on_the_meta_device(name):
    config = get_preset(name).to_config()
    count = _meta_parameter_count(config)
    assert round(count / 1e9, 2) == PUBLISHED_BILLIONS[name]
    assert count == parameter_count(config)


def test_starcoder_is_15_5_billion_parameters():
    assert _meta_parameter_count(get_preset("starcoder-15.5b").to_config()) == 15_517_456_384


@pytest.mark.parametrize(
    "config",
    [
        MICRO.to_config(300),
        TINY.to_config(8192),
        MICRO.with_overrides(multi_query=False).to_config(300),
        GPTBigCodeConfig(
            vocab_size=500,
            n_positions=64,
            n_embd=48,
            n_layer=3,
            n_head=3,
            n_inner=100,
            tie_word_embeddings=False,
        ),
    ],
    ids=["micro", "tiny", "micro-mha", "untied-odd-inner"],
)
def test_parameter_count_formula_matches_the_model(config):
    assert parameter_count(config) == _meta_parameter_count(config)


def test_tiny_presets_shapes():
    assert (TINY.n_layer, TINY.n_embd, TINY.n_head, TINY.n_positions) == (4, 256, 4, 1024)
    assert (MICRO.n_layer, MICRO.n_embd, MICRO.n_head, MICRO.n_positions) == (2, 64, 2, 256)
    config = TINY.to_config(8192)
    assert config.vocab_size == 8192 and config.n_inner == 4 * 256 and config.multi_query


def test_our_presets_need_a_vocabulary():
    with pytest.raises(ValueError, match="pass vocab_size"):
        TINY.to_config()


def test_vocabulary_must_hold_the_special_tokens():
    with pytest.raises(ValueError, match="special tokens"):
        MICRO.to_config(10)


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="not divisible"):
        ModelPreset(name="bad", n_layer=1, n_embd=100, n_head=3, n_positions=16)


def test_unknown_preset_lists_the_known_names():
    with pytest.raises(ValueError, match="unknown model preset 'huge'") as error:
        get_preset("huge")
    for name in PRESETS:
        assert name in str(error.value)


def test_with_overrides_keeps_the_rest():
    mha = TINY.with_overrides(multi_query=False)
    assert not mha.multi_query and mha.n_embd == TINY.n_embd and TINY.multi_query


def test_kv_cache_of_mqa_is_one_head():
    config = get_preset("starcoder-15.5b").to_config()
    # 40 layers x (K + V) x one 128-wide head x 2 bytes.
    assert kv_cache_bytes_per_token(config, torch.bfloat16) == 40 * 2 * 128 * 2
    mha = get_preset("starcoder-15.5b").with_overrides(multi_query=False).to_config()
    assert kv_heads(config) == 1 and kv_heads(mha) == 48
    ratio = kv_cache_bytes_per_token(mha, torch.float32) / kv_cache_bytes_per_token(config)
    assert ratio == 48


def test_flops_per_token_is_the_megatron_formula():
    # Narayanan et al. 2021: 72 B s l h^2 (1 + s / 6h + V / 12hl) per batch of B x s
    # tokens, for multi-head attention with n_inner = 4h.
    layers, hidden, vocab, seq = 4, 256, 8192, 512
    config = TINY.with_overrides(multi_query=False).to_config(vocab)
    megatron = (
        72 * seq * layers * hidden**2 * (1 + seq / (6 * hidden) + vocab / (12 * hidden * layers))
    )
    assert flops_per_token(config, seq) == pytest.approx(megatron / seq, rel=1e-12)


def test_flops_per_token_is_six_n_plus_attention():
    config = TINY.to_config(8192)
    expected = 6 * matmul_parameter_count(config) + 12 * 4 * 256 * 1024
    assert flops_per_token(config, 1024) == expected
    with pytest.raises(ValueError, match="seq_len"):
        flops_per_token(config, 0)
