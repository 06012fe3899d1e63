"""Both generators: a local micro checkpoint, and the OpenAI-compatible request building."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starcoder_data.special_tokens import ENDOFTEXT, FILENAME
from starcoder_eval.generation import (
    GenerationRequest,
    LocalGenerator,
    OpenAIGenerator,
    SamplingConfig,
    truncate_at_stop,
)


def test_default_sampling_is_starcoders_pass_at_1_protocol():
    config = SamplingConfig()
    assert (config.n, config.temperature, config.top_p, config.greedy) == (20, 0.2, 0.95, False)
    assert config.samples == 20 and SamplingConfig(greedy=True).samples == 1


def test_truncate_at_the_earliest_stop_or_special_token():
    assert truncate_at_stop("    return 1\ndef g():", ["\ndef", "\nclass"]) == "    return 1"
    assert truncate_at_stop(f"x = 1{ENDOFTEXT}junk", []) == "x = 1"
    assert truncate_at_stop(f"a{FILENAME}b\nclass", ["\nclass"]) == "a"
    assert truncate_at_stop("no stop here", ["\ndef"]) == "no stop here"


class FakeCompletions:
    def __init__(self):
        self.calls = []

    def create(self, **arguments):
        self.calls.append(arguments)
        choices = [
            SimpleNamespace(index=i, text=f"    return {i}\ndef other():")
            for i in reversed(range(arguments["n"]))
        ]
        return SimpleNamespace(choices=choices)


def test_openai_requests_carry_sampling_stops_and_suffix():
    completions = FakeCompletions()
    generator = OpenAIGenerator(
        "http://unused/v1", model="tiny", client=SimpleNamespace(completions=completions)
    )
    stops = ("\nclass", "\ndef", "\n#", "\n@", "\nprint")
    requests = [
        GenerationRequest(prompt="def f():", stop=stops),
        GenerationRequest(prompt="def g():\n", suffix="\n    return y\n", stop=("\n",)),
    ]
    config = SamplingConfig(n=3, temperature=0.8, top_p=0.95, max_new_tokens=64, seed=7)
    results = generator.generate(requests, config)
    first, second = sorted(completions.calls, key=lambda call: call["prompt"])
    assert first == {
        "model": "tiny", "prompt": "def f():", "max_tokens": 64, "temperature": 0.8,
        "top_p": 0.95, "n": 3, "seed": 7, "stop": list(stops[:4]),
    }  # fmt: skip
    assert second["suffix"] == "\n    return y\n" and second["stop"] == ["\n"]
    assert results[0] == ["    return 0", "    return 1", "    return 2"]  # by index, cut at \ndef


def test_openai_splits_large_n_with_distinct_seeds_and_finds_the_model():
    completions = FakeCompletions()
    models = SimpleNamespace(list=lambda: SimpleNamespace(data=[SimpleNamespace(id="served")]))
    client = SimpleNamespace(completions=completions, models=models)
    generator = OpenAIGenerator("http://unused/v1", client=client, max_n=16, concurrency=1)
    (texts,) = generator.generate([GenerationRequest(prompt="x")], SamplingConfig(n=40, seed=3))
    assert len(texts) == 40
    assert [(c["n"], c["seed"], c["model"]) for c in completions.calls] == [
        (16, 3, "served"), (16, 4, "served"), (8, 5, "served"),
    ]  # fmt: skip


def test_openai_greedy_is_temperature_zero_and_one_sample():
    generator = OpenAIGenerator(
        "http://unused/v1", model="m", client=SimpleNamespace(completions=None)
    )
    arguments = generator.request_arguments(
        GenerationRequest(prompt="x"), SamplingConfig(n=50, greedy=True)
    )
    assert arguments["temperature"] == 0.0 and arguments["n"] == 1 and "stop" not in arguments


@pytest.fixture(scope="module")
def local(micro_checkpoint):
    return LocalGenerator(micro_checkpoint)


def test_local_generation_gives_n_samples_per_prompt(local):
    requests = [GenerationRequest(prompt="def add(a, b):", stop=("\ndef",)),
                GenerationRequest(prompt="import os\n\n\nclass Config:", stop=())]  # fmt: skip
    config = SamplingConfig(n=3, temperature=0.8, max_new_tokens=8, batch_size=2, seed=1)
    results = local.generate(requests, config)
    assert [len(r) for r in results] == [3, 3]
    assert all(isinstance(text, str) and "\ndef" not in text for r in results for text in r)
    assert local.generate(requests, config) == results  # seeded


def test_local_greedy_is_deterministic_and_batch_independent(local):
    requests = [GenerationRequest(prompt="def add(a, b):"), GenerationRequest(prompt="x = [")]
    config = SamplingConfig(greedy=True, n=10, max_new_tokens=8, batch_size=2)
    batched = local.generate(requests, config)
    alone = local.generate(requests[:1], config)
    assert [len(r) for r in batched] == [1, 1]
    assert batched[0] == alone[0]  # left padding keeps a prompt's greedy output


def test_local_infilling_runs(local):
    request = GenerationRequest(prompt="def f(x):\n", suffix="\n    return y\n", stop=("\n",))
    (texts,) = local.generate([request], SamplingConfig(greedy=True, max_new_tokens=8))
    assert len(texts) == 1 and "\n" not in texts[0]


def test_local_prompt_longer_than_the_context_keeps_its_end(local):
    long_prompt = "x = 1\n" * 400 + "def f():"
    assert len(local.tokenizer(long_prompt)["input_ids"]) > local.context
    config = SamplingConfig(greedy=True, max_new_tokens=4)
    (texts,) = local.generate([GenerationRequest(prompt=long_prompt)], config)
    ids = local.tokenizer(long_prompt)["input_ids"]
    room = local.context - 4
    tail, head = local.tokenizer.decode(ids[-room:]), local.tokenizer.decode(ids[:room])
    assert local.tokenizer(tail)["input_ids"] == ids[-room:]  # the cut re-encodes exactly
    (from_tail,), (from_head,) = (
        local.generate([GenerationRequest(prompt=p)], config) for p in (tail, head)
    )
    assert texts == from_tail and from_tail != from_head  # the end was kept, not the start
