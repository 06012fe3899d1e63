"""Every bad input of a training run stops it with a message before any worker starts."""

import json
import shutil

import pytest
from starcoder_data.tokens import read_manifest, write_manifest
from training_fixture import MICRO_ARGS as MICRO
from training_fixture import train

from ray_jobs import finetune, pretrain


def run(args, tmp_path):
    with pytest.raises(SystemExit) as stop:
        train(pretrain, [*args, "--output", str(tmp_path / "run"), *MICRO])
    assert not (tmp_path / "run").exists()  # refused before the run directory is taken
    return str(stop.value)


def finetune_from(checkpoint, tokens_dir, tmp_path):
    train(
        finetune,
        [
            "--checkpoint",
            str(checkpoint),
            "--tokens",
            str(tokens_dir),
            "--output",
            str(tmp_path / "run"),
            "--set",
            "seq_len=64",
        ],
    )


def test_missing_token_shards(training_inputs, tmp_path):
    tokenizer_dir, _ = training_inputs
    message = run(
        ["--tokens", str(tmp_path / "nowhere"), "--tokenizer", str(tokenizer_dir)], tmp_path
    )
    assert "no token shards" in message and "nowhere" in message


def test_empty_token_shards(training_inputs, tmp_path):
    tokenizer_dir, tokens_dir = training_inputs
    empty = tmp_path / "tokens"
    shutil.copytree(tokens_dir, empty)
    manifest = read_manifest(empty)
    for shard in manifest["splits"]["train"]["shards"]:
        (empty / shard["file"]).write_bytes(b"")
    write_manifest(empty, manifest)
    message = run(["--tokens", str(empty), "--tokenizer", str(tokenizer_dir)], tmp_path)
    assert "is empty" in message


def test_a_tokenizer_other_than_the_shards_one(training_inputs, tmp_path):
    tokenizer_dir, tokens_dir = training_inputs
    other = tmp_path / "other-tokenizer"
    shutil.copytree(tokenizer_dir, other)
    spec = json.loads((other / "tokenizer.json").read_text())
    spec["model"]["merges"] = spec["model"]["merges"][:-1]  # a different tokenizer
    (other / "tokenizer.json").write_text(json.dumps(spec))
    message = run(["--tokens", str(tokens_dir), "--tokenizer", str(other)], tmp_path)
    assert "another tokenizer" in message


def test_a_vocabulary_that_does_not_match_the_model(training_inputs, tmp_path):
    tokenizer_dir, tokens_dir = training_inputs
    from transformers import GPTBigCodeConfig, GPTBigCodeForCausalLM

    small = tmp_path / "small-vocab"
    GPTBigCodeForCausalLM(
        GPTBigCodeConfig(vocab_size=100, n_layer=1, n_embd=32, n_head=2, n_positions=64)
    ).save_pretrained(small)
    shutil.copy(tokenizer_dir / "tokenizer.json", small)
    shutil.copy(tokenizer_dir / "tokenizer_config.json", small)
    with pytest.raises(SystemExit, match="512 tokens but the model's vocab_size is 100"):
        finetune_from(small, tokens_dir, tmp_path)


def test_a_checkpoint_that_is_not_a_causal_lm(training_inputs, tmp_path):
    _, tokens_dir = training_inputs
    from transformers import ViTConfig, ViTModel

    vit = tmp_path / "vit"
    shape = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}
    config = ViTConfig(intermediate_size=16, image_size=8, patch_size=4, **shape)
    ViTModel(config).save_pretrained(vit)
    with pytest.raises(SystemExit, match="'vit' model .* not a causal"):
        finetune_from(vit, tokens_dir, tmp_path)


def test_a_global_batch_the_workers_cannot_divide(training_inputs, tmp_path):
    tokenizer_dir, tokens_dir = training_inputs
    message = run(
        ["--tokens", str(tokens_dir), "--tokenizer", str(tokenizer_dir), "--set", "num_workers=3"],
        tmp_path,
    )
    assert "not divisible by" in message and "64 x 4 x 3" in message


def test_a_sequence_length_other_than_the_shards(training_inputs, tmp_path):
    tokenizer_dir, tokens_dir = training_inputs
    with pytest.raises(SystemExit, match="sequences of 64 tokens but .* seq_len=128"):
        train(
            pretrain,
            [
                "--tokens",
                str(tokens_dir),
                "--tokenizer",
                str(tokenizer_dir),
                "--output",
                str(tmp_path / "run"),
                *MICRO,
                "--set",
                "seq_len=128",
                "--set",
                "global_batch_tokens=1024",
            ],
        )


def test_an_unknown_override_field(capsys):
    with pytest.raises(SystemExit):
        pretrain.parse_args(["--set", "learning_rate=1"])
    assert "FIELD one of" in capsys.readouterr().err
