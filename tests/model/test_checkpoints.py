"""Building, saving and loading GPTBigCode models: parity with transformers, clear refusals."""

from __future__ import annotations

import sys
import types

import pytest
import torch
from bpe_fixture import tiny_bpe
from starcoder_data.special_tokens import ENDOFTEXT, FIM_PREFIX, SPECIAL_TOKENS
from starcoder_model import checkpoints
from starcoder_model.checkpoints import (
    attention_implementation,
    build_model,
    check_tokenizer,
    load_model,
    save_model,
)
from starcoder_model.presets import MICRO
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GPT2Config,
    GPT2LMHeadModel,
    GPTBigCodeConfig,
    GPTBigCodeForCausalLM,
    PreTrainedTokenizerFast,
)

VOCAB_SIZE = 320
CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n    print(i * i)\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
    "int main(void) { return 0; }\n",
] * 4


def _tokenizer(special_tokens=SPECIAL_TOKENS, vocab_size=VOCAB_SIZE) -> PreTrainedTokenizerFast:
    """A byte-level BPE with the special tokens added first, so they get ids 0..18."""
    tokenizer = tiny_bpe(CORPUS, vocab_size, special_tokens)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=ENDOFTEXT,
        eos_token=ENDOFTEXT,
        unk_token=ENDOFTEXT,
        pad_token=ENDOFTEXT,
    )


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return _tokenizer()


@pytest.fixture(scope="module")
def input_ids(tokenizer) -> torch.Tensor:
    ids = tokenizer(["def add(a, b):\n    return", "for i in range(10):\n  "])["input_ids"]
    length = min(len(row) for row in ids)
    return torch.tensor([row[:length] for row in ids])


def _logits(model, input_ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(input_ids).logits


def _assert_same_weights(left, right) -> None:
    left_state, right_state = left.state_dict(), right.state_dict()
    assert left_state.keys() == right_state.keys()
    for key, value in left_state.items():
        assert torch.equal(value, right_state[key]), key


def test_build_model_is_the_transformers_model_under_the_same_seed(input_ids):
    model = build_model(MICRO, VOCAB_SIZE, seed=7)
    torch.manual_seed(7)
    reference = GPTBigCodeForCausalLM(
        GPTBigCodeConfig(
            vocab_size=VOCAB_SIZE,
            n_positions=256,
            n_embd=64,
            n_layer=2,
            n_head=2,
            n_inner=256,
            attn_pdrop=0.0,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            bos_token_id=0,
            eos_token_id=0,
        )
    )
    assert isinstance(model, GPTBigCodeForCausalLM)
    _assert_same_weights(model, reference)
    assert torch.equal(_logits(model, input_ids), _logits(reference, input_ids))


def test_build_model_from_a_config_matches_the_preset():
    config = MICRO.to_config(VOCAB_SIZE)
    from_config = build_model(config, seed=3, attn_implementation="eager")
    _assert_same_weights(from_config, build_model(MICRO, VOCAB_SIZE, seed=3))
    assert from_config.config._attn_implementation == "eager"
    assert config._attn_implementation != "eager"  # the caller's config is not mutated
    with pytest.raises(ValueError, match="disagrees"):
        build_model(config, VOCAB_SIZE + 1)


def test_build_model_seeds_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = build_model(MICRO, VOCAB_SIZE, seed=1)
    assert torch.equal(torch.rand(3), expected)
    other = build_model(MICRO, VOCAB_SIZE, seed=2)
    weight = "transformer.h.0.attn.c_attn.weight"
    assert not torch.equal(first.state_dict()[weight], other.state_dict()[weight])


def test_attention_is_sdpa_on_cpu():
    assert attention_implementation("cpu") == "sdpa"
    assert build_model(MICRO, VOCAB_SIZE).config._attn_implementation == "sdpa"


def test_flash_attention_needs_cuda_and_the_package(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(checkpoints.importlib.util, "find_spec", lambda name: None)
    assert attention_implementation("cuda") == "sdpa"
    monkeypatch.setattr(checkpoints.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setitem(sys.modules, "flash_attn", types.ModuleType("flash_attn"))
    assert attention_implementation("cuda") == "flash_attention_2"
    assert attention_implementation("cpu") == "sdpa"


def test_save_and_load_round_trip(tmp_path, tokenizer, input_ids):
    model = build_model(MICRO, VOCAB_SIZE, seed=0)
    directory = save_model(model, tokenizer, tmp_path / "checkpoint")
    assert (directory / "model.safetensors").is_file()
    assert {"config.json", "generation_config.json", "tokenizer.json"} <= {
        path.name for path in directory.iterdir()
    }

    loaded = load_model(directory)
    assert isinstance(loaded, GPTBigCodeForCausalLM) and not loaded.training
    _assert_same_weights(loaded, model)
    assert torch.allclose(_logits(loaded, input_ids), _logits(model, input_ids), atol=1e-6, rtol=0)

    plain = AutoModelForCausalLM.from_pretrained(directory)
    assert torch.allclose(_logits(plain, input_ids), _logits(model, input_ids), atol=1e-6, rtol=0)
    reloaded_tokenizer = AutoTokenizer.from_pretrained(directory)
    assert reloaded_tokenizer.convert_tokens_to_ids(FIM_PREFIX) == 1
    text = "def add(a, b):\n    return a + b\n"
    assert reloaded_tokenizer(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert plain.generation_config.eos_token_id == 0
    assert plain.generation_config.pad_token_id == 0


def test_load_model_casts_to_the_requested_dtype(tmp_path, tokenizer):
    directory = save_model(build_model(MICRO, VOCAB_SIZE), tokenizer, tmp_path)
    loaded = load_model(directory, dtype=torch.bfloat16)
    assert next(loaded.parameters()).dtype == torch.bfloat16


def test_generate_on_the_loaded_model(tmp_path, tokenizer, input_ids):
    loaded = load_model(save_model(build_model(MICRO, VOCAB_SIZE, seed=0), tokenizer, tmp_path))
    kwargs = dict(max_new_tokens=6, min_new_tokens=6, do_sample=False)
    output = loaded.generate(input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
    assert output.shape == (2, input_ids.shape[1] + 6)
    assert torch.equal(output[:, : input_ids.shape[1]], input_ids)
    again = loaded.generate(input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
    assert torch.equal(output, again)
    assert isinstance(tokenizer.decode(output[0, input_ids.shape[1] :]), str)


def test_load_model_rejects_a_model_that_is_not_a_causal_lm_before_reading_weights(tmp_path):
    from transformers import ViTConfig, ViTModel

    vit = ViTModel(ViTConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                             intermediate_size=16, image_size=8, patch_size=4))  # fmt: skip
    directory = tmp_path / "vit-checkpoint"
    vit.save_pretrained(directory)
    (directory / "model.safetensors").unlink()  # reading weights would fail differently
    with pytest.raises(ValueError, match="'vit'") as error:
        load_model(directory)
    message = str(error.value)
    assert str(directory) in message and "ViTModel" in message and "causal" in message


def test_load_model_takes_any_causal_lm_such_as_gpt2(tmp_path):
    gpt2 = GPT2LMHeadModel(
        GPT2Config(vocab_size=64, n_positions=32, n_embd=16, n_layer=1, n_head=2)
    )
    gpt2.save_pretrained(tmp_path)
    assert load_model(tmp_path).config.model_type == "gpt2"


def test_load_model_missing_directory_or_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_model(tmp_path)


def test_check_tokenizer_accepts_a_starcoder_tokenizer(tokenizer):
    check_tokenizer(MICRO.to_config(VOCAB_SIZE), tokenizer)
    check_tokenizer(MICRO.to_config(VOCAB_SIZE + 64), tokenizer)  # padded embeddings are fine


def test_check_tokenizer_rejects_a_tokenizer_larger_than_the_model(tokenizer):
    with pytest.raises(ValueError, match=f"has {len(tokenizer)} tokens but .* vocab_size is 300"):
        check_tokenizer(MICRO.to_config(300), tokenizer)


def test_check_tokenizer_rejects_special_tokens_out_of_order():
    swapped = _tokenizer(special_tokens=(SPECIAL_TOKENS[1], SPECIAL_TOKENS[0], *SPECIAL_TOKENS[2:]))
    with pytest.raises(ValueError, match="<\\|endoftext\\|>: expected id 0, got 1"):
        check_tokenizer(MICRO.to_config(VOCAB_SIZE), swapped)


def test_check_tokenizer_rejects_missing_special_tokens():
    partial = _tokenizer(special_tokens=SPECIAL_TOKENS[:5])
    with pytest.raises(ValueError, match="<reponame>: expected id 18, got none"):
        check_tokenizer(MICRO.to_config(VOCAB_SIZE), partial)


def test_check_tokenizer_rejects_another_end_of_text(tokenizer):
    config = MICRO.to_config(VOCAB_SIZE)
    config.eos_token_id = 5
    with pytest.raises(ValueError, match="eos_token_id 5"):
        check_tokenizer(config, tokenizer)


def test_save_model_refuses_a_mismatched_tokenizer(tmp_path, tokenizer):
    with pytest.raises(ValueError, match="vocab_size is 300"):
        save_model(build_model(MICRO, 300), tokenizer, tmp_path)
    assert not any(tmp_path.iterdir())
