"""Every model family through our loading, packing, training and evaluation pieces, no Ray.

Tiny random-weight checkpoints of each family (``family_fixture``): loaded from
a folder and, by hub id, from a Hugging Face cache built here; trained a few
steps by the DeepSpeed loop in one process; exported and reloaded; prompted
for infilling by the evaluation's generator in the family's own format.
"""

from __future__ import annotations

import dataclasses
import math
import shutil

import numpy as np
import pytest
import torch
from family_fixture import FAMILY_NAMES, build_family_checkpoint
from family_shards_fixture import build_family_shards
from starcoder_data.families import FimUnsupportedError, checkpoint_family, get_family
from starcoder_data.tokens import FimConfig, FimTransform, load_tokenizer_json, special_ids_for
from starcoder_model.checkpoints import (
    CheckpointNotFoundError,
    load_model,
    model_positions,
    resolve_checkpoint,
)

SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"
SEQ_LEN = 64


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    return {name: build_family_checkpoint(name, root / name) for name in FAMILY_NAMES}


def fake_hub_cache(cache, repo_id: str, checkpoint) -> None:
    """``checkpoint``'s files in the hub cache layout: snapshots/<commit>/ and refs/main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(checkpoint, repo / "snapshots" / SNAPSHOT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(SNAPSHOT)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_each_family_loads_from_its_folder_as_itself(checkpoints, name):
    model = load_model(checkpoints[name])
    assert model.config.model_type == get_family(name).model_types[0]
    assert checkpoint_family(checkpoints[name]).name == name
    assert model_positions(model.config) == 256  # n_positions or max_position_embeddings


def test_a_hub_id_loads_from_the_local_cache_only(checkpoints, tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    fake_hub_cache(cache, "tiny-org/qwen-coder", checkpoints["qwen2.5-coder"])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    snapshot = cache / "models--tiny-org--qwen-coder" / "snapshots" / SNAPSHOT
    assert resolve_checkpoint("tiny-org/qwen-coder") == snapshot
    assert load_model("tiny-org/qwen-coder").config.model_type == "qwen2"
    monkeypatch.delenv("HF_HUB_CACHE")  # HF_HOME/hub is the cache when HF_HUB_CACHE is unset
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert resolve_checkpoint("tiny-org/qwen-coder") == snapshot


def test_a_missing_hub_id_names_the_cache_and_downloads_nothing(tmp_path, monkeypatch):
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    with pytest.raises(CheckpointNotFoundError) as error:
        load_model("bigcode/starcoder2-3b")
    message = str(error.value)
    assert str(cache) in message and "huggingface-cli download bigcode/starcoder2-3b" in message
    assert list(cache.iterdir()) == []
    with pytest.raises(CheckpointNotFoundError, match="does not exist"):
        resolve_checkpoint("outputs/no/such/model")  # a path, never a hub id


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_packing_and_fim_use_the_familys_tokens(checkpoints, name, tmp_path):
    family = get_family(name)
    shards = build_family_shards(checkpoints[name], tmp_path / "tokens", SEQ_LEN)
    tokenizer = load_tokenizer_json(checkpoints[name])
    special = special_ids_for(checkpoints[name])
    assert tokenizer.id_to_token(special.eod) == family.end_of_text
    assert special.has_metadata == (family.metadata_tokens is not None)
    from starcoder_data.tokens import TokenShards

    rows = TokenShards.open(shards, "train").batch(np.arange(8))
    fim = FimTransform(tokenizer, FimConfig(rate=1.0, spm_rate=0.0, seed=1), special)
    out = fim.apply(rows, np.zeros(8, np.int64), np.arange(8))
    text = tokenizer.decode(out[0].tolist(), skip_special_tokens=False)
    assert all(sentinel in text for sentinel in family.fim.sentinels)
    others = {t for f in FAMILY_NAMES for t in get_family(f).fim.sentinels} - set(
        family.fim.sentinels
    )
    assert not any(sentinel in text for sentinel in others if sentinel not in tokenizer.get_vocab())


def test_a_family_without_fim_or_metadata_is_refused_with_a_reason(tmp_path):
    from bpe_fixture import tiny_bpe
    from starcoder_data.tokens import PackConfig
    from starcoder_data.tokens.documents import DocumentEncoder
    from transformers import LlamaConfig, PreTrainedTokenizerFast

    bpe = tiny_bpe(["def f(x):\n    return x\n"] * 8, 300, ["<s>", "</s>"])
    PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="</s>").save_pretrained(tmp_path)
    shape = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}
    LlamaConfig(vocab_size=300, bos_token_id=0, eos_token_id=1, **shape).save_pretrained(tmp_path)
    special = special_ids_for(tmp_path)  # a plain Llama: end-of-text from its tokenizer
    assert (special.has_fim, special.has_metadata, special.eod) == (False, False, 1)
    with pytest.raises(FimUnsupportedError, match="fim_rate 0"):
        FimTransform(load_tokenizer_json(tmp_path), FimConfig(rate=0.5), special)
    assert FimTransform(load_tokenizer_json(tmp_path), FimConfig(rate=0.0), special)
    with pytest.raises(ValueError, match="metadata_rate 0"):
        DocumentEncoder(bpe.to_str(), PackConfig(metadata_rate=0.2), special)

    from starcoder_model.training.setup import check_run

    tokens = build_family_shards(tmp_path, tmp_path / "tokens", 16)
    run = _train_config(tmp_path, tokens, tmp_path / "run", seq_len=16)
    with pytest.raises(ValueError, match="no FIM sentinel tokens .* fim_rate 0"):
        check_run(run)
    assert check_run(dataclasses.replace(run, fim_rate=0.0)).vocab_size == 300


def _train_config(checkpoint, tokens, output, **overrides):
    from starcoder_model.training.config import TrainConfig

    return TrainConfig(
        tokens_dir=str(tokens),
        output_dir=str(output),
        init_from=str(checkpoint),
        global_batch_tokens=overrides.get("seq_len", SEQ_LEN) * 4,
        micro_batch_size=4,
        max_steps=3,
        num_workers=1,
        **({"seq_len": SEQ_LEN} | overrides),
    ).with_overrides(lr=1e-3, warmup_steps=1)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_training_loop_steps_saves_and_reloads_each_family(checkpoints, name, tmp_path):
    from starcoder_model.training.engine import build_engine, init_single_process_group
    from starcoder_model.training.loop import TrainState, export_model, save_checkpoint, train_step
    from starcoder_model.training.setup import (
        build_or_load_model,
        build_sampler,
        check_run,
        open_run_data,
        run_tokenizer,
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    init_single_process_group()
    tokens = build_family_shards(checkpoints[name], tmp_path / "tokens", SEQ_LEN)
    config = _train_config(checkpoints[name], tokens, tmp_path / "run")
    if name != "starcoder":  # GPTBigCode keeps StarCoder's 0..18 id rule (test_checkpoints)
        assert check_run(config).vocab_size == 400
    train, _ = open_run_data(config)
    model = build_or_load_model(config, train.vocab_size)
    before = [p.detach().clone() for p in model.parameters()]
    engine, state = build_engine(model, config, world_size=1), TrainState()
    sampler = build_sampler(config, train)
    where = {"rank": 0, "world_size": 1, "micro_batch_size": 4, "accumulation": 1, "seed": 0}
    losses = [train_step(engine, train, sampler, state, **where) for _ in range(3)]
    assert all(math.isfinite(loss) for loss in losses) and losses[0] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))

    save_checkpoint(engine, tmp_path / "ckpt", state, run_tokenizer(config), rank=0)
    export_model(tmp_path / "ckpt", tmp_path / "model")
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path / "model", local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model", local_files_only=True)
    assert type(reloaded) is type(model) and checkpoint_family(tmp_path / "model").name == name
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(checkpoints[name]).get_vocab()
    assert (tokenizer.chat_template is not None) == (name == "qwen2.5-coder")
    state_dict = reloaded.state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(state_dict[key], value), key


def test_check_run_refuses_sequences_longer_than_the_models_positions(checkpoints, tmp_path):
    from starcoder_model.training.setup import check_run

    tokens = build_family_shards(checkpoints["qwen2.5-coder"], tmp_path / "long", 300)
    long_run = _train_config(checkpoints["qwen2.5-coder"], tokens, tmp_path / "run", seq_len=300)
    with pytest.raises(ValueError, match="seq_len=300 exceeds the model's 256 positions"):
        check_run(long_run)


PROMPTS = {
    "starcoder": "<fim_prefix>def f(<fim_suffix>):<fim_middle>",
    "starcoder2": "<fim_prefix>def f(<fim_suffix>):<fim_middle>",
    "codellama": "<PRE> def f( <SUF>): <MID>",
    "deepseek-coder": "<｜fim▁begin｜>def f(<｜fim▁hole｜>):<｜fim▁end｜>",
    "qwen2.5-coder": "<|fim_prefix|>def f(<|fim_suffix|>):<|fim_middle|>",
}


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_evaluation_prompts_and_stops_in_the_familys_format(checkpoints, name):
    from starcoder_eval.generation import (
        GenerationRequest,
        LocalGenerator,
        SamplingConfig,
        _model_prompt,
    )

    generator = LocalGenerator(checkpoints[name])
    request = GenerationRequest(prompt="def f(", suffix="):", stop=("\n",))
    assert _model_prompt(request, generator.family) == PROMPTS[name]
    family = get_family(name)
    assert generator.stop_tokens[0] == family.end_of_text
    if family.fim.end_of_middle:
        assert family.fim.end_of_middle in generator.stop_tokens  # CodeLlama's <EOT>
    config = SamplingConfig(n=1, greedy=True, max_new_tokens=4, batch_size=2)
    [[middle], [code]] = generator.generate([request, GenerationRequest(prompt="x = ")], config)
    assert not any(token in middle + code for token in family.special_tokens())
