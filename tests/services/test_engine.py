"""The batched generator decodes as HF ``generate()`` does, alone and in company."""

from __future__ import annotations

import pytest
import torch
from starcoder_serve.engine import BatchGenerator, GenerationSequence, SamplingParams

PROMPTS = [
    "def fibonacci(n):",
    "import os\nimport sys\n\n\ndef main(argv):\n    parser = make_parser()\n",
    "class Point:",
    "x = [",
]


@pytest.fixture(scope="module")
def model_and_tokenizer(micro_checkpoint):
    from starcoder_model import load_model
    from transformers import AutoTokenizer

    model = load_model(micro_checkpoint)
    return model, AutoTokenizer.from_pretrained(str(micro_checkpoint))


def _sequence(tokenizer, prompt, eos=0, **params):
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    return GenerationSequence(ids, SamplingParams(**params), tokenizer, eos_token_id=eos)


def _hf_greedy(model, tokenizer, prompt, max_new_tokens):
    ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
    out = model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=None,
        pad_token_id=0,
    )
    return out[0, ids.shape[1] :].tolist()


def test_greedy_matches_hf_generate_alone_and_batched(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    expected = [_hf_greedy(model, tokenizer, p, 24) for p in PROMPTS]
    engine = BatchGenerator(model, pad_token_id=0)
    for prompt, reference in zip(PROMPTS, expected, strict=True):
        alone = _sequence(tokenizer, prompt, eos=-1, max_tokens=24, temperature=0)
        list(engine.stream([alone]))
        assert alone.token_ids == reference
    # different prompt lengths (left padding) and different lengths to generate: rows leave
    batch = [
        _sequence(tokenizer, p, eos=-1, max_tokens=6 + 6 * i, temperature=0)
        for i, p in enumerate(PROMPTS)
    ]
    list(engine.stream(batch))
    for i, (sequence, reference) in enumerate(zip(batch, expected, strict=True)):
        assert sequence.token_ids == reference[: 6 + 6 * i]
        assert sequence.finish_reason == "length"


def test_streamed_deltas_add_up_to_the_text(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    engine = BatchGenerator(model, pad_token_id=0)
    batch = [
        _sequence(tokenizer, p, max_tokens=20, temperature=0.9, seed=i)
        for i, p in enumerate(PROMPTS)
    ]
    pieces = [""] * len(batch)
    for deltas in engine.stream(batch):
        assert len(deltas) == len(batch)
        for i, delta in enumerate(deltas):
            pieces[i] += delta
    assert pieces == [s.text for s in batch]
    assert all(s.finished for s in batch)


def test_seeded_sampling_does_not_depend_on_batch_companions(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    engine = BatchGenerator(model, pad_token_id=0)

    def sample(companions):
        target = _sequence(
            tokenizer, PROMPTS[0], eos=-1, max_tokens=16, temperature=1.0, top_p=0.9, seed=7
        )
        others = [
            _sequence(tokenizer, p, eos=-1, max_tokens=5, temperature=1.0) for p in companions
        ]
        list(engine.stream([*others, target]))
        return target.token_ids

    alone = sample([])
    assert sample(PROMPTS[1:]) == alone
    assert sample(PROMPTS[2:3]) == alone
    other_seed = _sequence(
        tokenizer, PROMPTS[0], eos=-1, max_tokens=16, temperature=1.0, top_p=0.9, seed=8
    )
    list(engine.stream([other_seed]))
    assert other_seed.token_ids != alone


def test_a_tiny_top_p_is_greedy(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    engine = BatchGenerator(model, pad_token_id=0)
    greedy = _sequence(tokenizer, PROMPTS[2], eos=-1, max_tokens=12, temperature=0)
    nucleus = _sequence(
        tokenizer, PROMPTS[2], eos=-1, max_tokens=12, temperature=1.5, top_p=1e-6, seed=3
    )
    list(engine.stream([greedy, nucleus]))
    assert nucleus.token_ids == greedy.token_ids


def test_end_of_text_finishes_a_sequence_without_text(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    sampled = _sequence(tokenizer, PROMPTS[1], eos=-1, max_tokens=24, temperature=1.0, seed=5)
    list(BatchGenerator(model, pad_token_id=0).stream([sampled]))
    tokens = sampled.token_ids
    # pretend the first token not drawn before is end-of-text: the same draw stops right there
    k = next(i for i in range(1, len(tokens)) if tokens[i] not in tokens[:i])
    sequence = _sequence(
        tokenizer, PROMPTS[1], eos=tokens[k], max_tokens=24, temperature=1.0, seed=5
    )
    list(BatchGenerator(model, pad_token_id=0).stream([sequence]))
    assert sequence.token_ids == tokens[:k]
    assert sequence.finish_reason == "stop"


class _CharTokenizer:
    """Decodes ids as characters, to check stop strings exactly."""

    def decode(self, ids, **_):
        return "".join(chr(i) for i in ids)


def _push_all(sequence, text):
    return [sequence.push(ord(c)) for c in text]


def test_stop_strings_cut_the_text_and_are_never_streamed():
    params = SamplingParams(max_tokens=50, stop=("\ndef", "END"))
    sequence = GenerationSequence([1], params, _CharTokenizer(), eos_token_id=-1)
    deltas = _push_all(sequence, "x = 1\n\ndef f")
    assert sequence.finished and sequence.finish_reason == "stop"
    assert sequence.text == "x = 1\n"
    assert "".join(deltas) == "x = 1\n"
    assert "".join(deltas[:6]) == "x = 1"  # "\n" held back while it could begin "\ndef"


def test_max_tokens_ends_with_length():
    sequence = GenerationSequence(
        [1], SamplingParams(max_tokens=3), _CharTokenizer(), eos_token_id=-1
    )
    assert "".join(_push_all(sequence, "abc")) == "abc"
    assert sequence.finish_reason == "length"


def test_a_split_utf8_character_is_held_back():
    class Bytes:
        def decode(self, ids, **_):
            return bytes(ids).decode("utf-8", errors="replace")

    sequence = GenerationSequence([1], SamplingParams(max_tokens=5), Bytes(), eos_token_id=-1)
    encoded = "é!".encode()
    assert sequence.push(encoded[0]) == ""
    assert sequence.push(encoded[1]) == "é"
    assert sequence.push(encoded[2]) == "!"


def test_rows_joining_a_running_batch_decode_as_they_would_alone(model_and_tokenizer):
    from starcoder_serve.engine import DecodeBatch

    model, tokenizer = model_and_tokenizer
    expected = [_hf_greedy(model, tokenizer, p, 16) for p in PROMPTS]
    batch = DecodeBatch(BatchGenerator(model, pad_token_id=0))
    sequences = [_sequence(tokenizer, p, eos=-1, max_tokens=16, temperature=0) for p in PROMPTS]
    batch.admit(sequences[:1])
    for _ in range(5):
        batch.step()
    batch.admit(sequences[1:3])  # a longer and a shorter prompt join after 5 steps
    for _ in range(3):
        batch.step()
    sequences[2].cancel()  # leaves at the next step
    batch.admit(sequences[3:])
    while batch:
        batch.step()
    assert sequences[2].finish_reason == "abort"
    for i in (0, 1, 3):
        assert sequences[i].token_ids == expected[i]
