import numpy as np
import pytest
from starcoder_pii.encoder import (
    ENCODER_TOKENS,
    MlmConfig,
    SpecialIds,
    encoder_tokenizer,
    get_preset,
    load_encoder_tokenizer,
    mask_tokens,
    pair_example,
)
from starcoder_pii.encoder.pretraining_data import IGNORE

IDS = SpecialIds(cls=400, sep=401, mask=402, pad=403, vocab_size=404)


def test_encoder_tokens_follow_the_starcoder_vocabulary(pii_tokenizer_dir):
    tokenizer = encoder_tokenizer(pii_tokenizer_dir)
    assert tokenizer.convert_ids_to_tokens([0, 18]) == ["<|endoftext|>", "<reponame>"]
    assert [tokenizer.convert_tokens_to_ids(t) for t in ENCODER_TOKENS] == [400, 401, 402, 403]
    assert tokenizer.mask_token_id == 402 and tokenizer.pad_token_id == 403


def test_presets():
    assert get_preset("starencoder-125m").num_layers == 12
    assert get_preset("starencoder-125m").max_positions == 1024
    with pytest.raises(ValueError, match="unknown"):
        get_preset("huge")


def test_masking_rates_and_labels():
    rng = np.random.default_rng(0)
    tokens = rng.integers(19, 400, size=20_000)
    inputs, labels = mask_tokens(tokens, rng, IDS, MlmConfig())
    chosen = labels != IGNORE
    assert 0.14 < chosen.mean() < 0.16
    assert (labels[chosen] == tokens[chosen]).all()
    assert 0.78 < (inputs[chosen] == IDS.mask).mean() < 0.82
    assert (inputs[~chosen] == tokens[~chosen]).all()


def test_pair_example_layout_and_nsp():
    docs = [np.arange(100, 200), np.arange(200, 300)]
    rng = np.random.default_rng(1)
    labels = []
    for _ in range(40):
        example = pair_example(docs, rng, IDS, MlmConfig(seq_len=32, mask_rate=0.0))
        ids, types = example["input_ids"], example["token_type_ids"]
        assert ids.shape == (32,) and ids[0] == IDS.cls and (ids == IDS.sep).sum() == 2
        first_sep = int(np.argmax(ids == IDS.sep))
        assert (types[: first_sep + 1] == 0).all() and types[first_sep + 1] == 1
        b = ids[first_sep + 1 : first_sep + 15]
        a = ids[1:first_sep]
        if example["next_sentence_label"] == 0:  # B continues A in the same document
            assert b[0] == a[-1] + 1
        labels.append(int(example["next_sentence_label"]))
    assert 0 < sum(labels) < 40


def test_micro_encoder_round_trips_in_hf_format(micro_encoder_dir):
    import torch
    from transformers import AutoModel

    tokenizer = load_encoder_tokenizer(micro_encoder_dir)
    model = AutoModel.from_pretrained(str(micro_encoder_dir))
    batch = tokenizer(["x = 1"], return_tensors="pt")
    with torch.no_grad():
        hidden = model(input_ids=batch["input_ids"]).last_hidden_state
    assert hidden.shape[-1] == 32
