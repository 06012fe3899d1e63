"""The DeepSpeed loop in one process: it learns, checkpoints, and resumes exactly."""

from pathlib import Path

import pytest
import torch
from starcoder_model.checkpoints import build_model, load_model
from starcoder_model.presets import get_preset
from starcoder_model.tokenizer import load_tokenizer
from starcoder_model.training.config import TrainConfig
from starcoder_model.training.engine import build_engine, init_single_process_group
from starcoder_model.training.loop import (
    TrainState,
    evaluate,
    load_checkpoint,
    save_checkpoint,
    train_step,
)
from starcoder_model.training.sampling import SequenceSampler, evaluation_indices
from starcoder_model.training.setup import open_run_data, unigram_entropy


@pytest.fixture(scope="module")
def run(training_inputs, tmp_path_factory):
    init_single_process_group()
    tokenizer_dir, tokens_dir = training_inputs
    config = TrainConfig(
        tokens_dir=str(tokens_dir),
        output_dir=str(tmp_path_factory.mktemp("run")),
        tokenizer_dir=str(tokenizer_dir),
        preset="micro",
        seq_len=64,
        global_batch_tokens=64 * 8,
        micro_batch_size=4,
        max_steps=200,
        num_workers=1,
    ).with_overrides(lr=3e-3, warmup_steps=5)
    train, val = open_run_data(config)  # FIM on (StarCoder's 0.5), drawn per sample
    assert train.fim is not None and config.fim_rate == 0.5
    return config, train, val


def new_engine(config, vocab_size, seed=0):
    model = build_model(get_preset(config.preset), vocab_size, seed=seed).train()
    return build_engine(model, config, world_size=1)


def steps(engine, config, data, state, n):
    sampler = SequenceSampler(data.sequences_by_source, seed=config.seed)
    return [
        train_step(
            engine,
            data,
            sampler,
            state,
            rank=0,
            world_size=1,
            micro_batch_size=config.micro_batch_size,
            accumulation=config.gradient_accumulation_steps(1),
            seed=config.seed,
        )
        for _ in range(n)
    ]


def test_the_loop_learns_well_below_the_unigram_entropy(run):
    config, train, val = run
    engine = new_engine(config, train.vocab_size)
    ids = evaluation_indices(len(val), 32, 0, 1)
    before = evaluate(engine, val, ids, config.micro_batch_size)
    losses = steps(engine, config, train, TrainState(), config.max_steps)
    after = evaluate(engine, val, ids, config.micro_batch_size)
    assert before > 5.5  # ~ln(512) = 6.2 at initialisation
    assert after < unigram_entropy(train.shards) - 0.3  # learned from context, not only counts
    assert sum(losses[-10:]) / 10 < sum(losses[:10]) / 10 - 1.0


def test_a_resumed_run_continues_with_exactly_the_same_losses(run, tmp_path):
    config, train, _ = run
    uninterrupted = steps(new_engine(config, train.vocab_size), config, train, TrainState(), 6)

    engine, state = new_engine(config, train.vocab_size), TrainState()
    first = steps(engine, config, train, state, 3)
    save_checkpoint(engine, tmp_path, state, load_tokenizer(config.tokenizer_dir), rank=0)

    fresh = new_engine(config, train.vocab_size, seed=123)  # other weights, to be overwritten
    restored = load_checkpoint(fresh, tmp_path)
    assert restored == TrainState(step=3, tokens_seen=3 * config.global_batch_tokens)
    assert fresh.get_lr() == engine.get_lr()
    rest = steps(fresh, config, train, restored, 3)
    assert first + rest == uninterrupted  # bit for bit: weights, Adam moments, LR, data order


def test_a_checkpoint_is_an_hf_model_with_the_engines_weights(run, tmp_path):
    config, train, val = run
    engine, state = new_engine(config, train.vocab_size), TrainState()
    steps(engine, config, train, state, 2)
    save_checkpoint(engine, tmp_path, state, load_tokenizer(config.tokenizer_dir), rank=0)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert AutoTokenizer.from_pretrained(tmp_path).convert_ids_to_tokens(0) == "<|endoftext|>"
    batch = torch.from_numpy(val.batch([0, 1]))
    engine.eval()
    with torch.no_grad():
        expected = engine.module(input_ids=batch).logits
        assert torch.allclose(loaded(input_ids=batch).logits, expected, atol=1e-5)
    assert load_model(Path(tmp_path)).config.n_layer == get_preset("micro").n_layer
