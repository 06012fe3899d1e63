"""LoRA through peft on the DeepSpeed loop, in one process: targets, frozen base, resume, merge."""

import json
from pathlib import Path

import pytest
import torch
from family_fixture import FAMILY_NAMES, build_family_checkpoint
from starcoder_data.families import get_family
from starcoder_model.tokenizer import load_tokenizer
from starcoder_model.training.config import TrainConfig
from starcoder_model.training.engine import build_engine, init_single_process_group
from starcoder_model.training.loop import TrainState, load_checkpoint, save_checkpoint, train_step
from starcoder_model.training.lora import (
    ADAPTER_SUBDIR,
    ADAPTER_WEIGHTS,
    check_lora,
    check_lora_run,
    export_lora_run,
    wrap_with_lora,
)
from starcoder_model.training.sampling import SequenceSampler
from starcoder_model.training.setup import build_or_load_model, open_run_data
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer


def lora_config(checkpoint, tokens_dir, output, **changes) -> TrainConfig:
    return TrainConfig(
        tokens_dir=str(tokens_dir),
        output_dir=str(output),
        init_from=str(checkpoint),
        seq_len=64,
        global_batch_tokens=64 * 8,
        micro_batch_size=4,
        max_steps=6,
        num_workers=1,
        lora=True,
        lora_rank=4,
    ).with_overrides(lr=1e-2, warmup_steps=1, **changes)


def lora_engine(config: TrainConfig, vocab):
    init_single_process_group()
    model = build_or_load_model(config, len(vocab))
    return build_engine(wrap_with_lora(model, config, vocab), config, world_size=1)


def run_steps(engine, config, data, state, n) -> list[float]:
    sampler = SequenceSampler(data.sequences_by_source, seed=config.seed)
    where = dict(rank=0, world_size=1, micro_batch_size=config.micro_batch_size)
    accumulation = config.gradient_accumulation_steps(1)
    return [
        train_step(
            engine, data, sampler, state, accumulation=accumulation, seed=config.seed, **where
        )
        for _ in range(n)
    ]


def base_weights(engine) -> dict[str, torch.Tensor]:
    """The frozen weights under their plain HF names (peft's wrapper prefixes stripped)."""
    base = engine.module.get_base_model()
    return {
        name.replace(".base_layer", ""): param.detach().clone()
        for name, param in base.named_parameters()
        if "lora_" not in name
    }


@pytest.mark.parametrize("family_name", FAMILY_NAMES)
def test_each_family_gets_its_own_default_targets_and_only_they_train(family_name, tmp_path):
    family = get_family(family_name)
    checkpoint = build_family_checkpoint(family_name, tmp_path)
    vocab = AutoTokenizer.from_pretrained(checkpoint).get_vocab()
    config = TrainConfig(init_from=str(checkpoint), lora=True, lora_rank=4)
    assert check_lora(config, AutoConfig.from_pretrained(checkpoint), vocab) == family.lora_targets
    model = wrap_with_lora(AutoModelForCausalLM.from_pretrained(checkpoint), config, vocab)
    wrapped = {name.rsplit(".", 1)[-1] for name, m in model.named_modules() if hasattr(m, "lora_A")}
    assert wrapped == set(family.lora_targets)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(".lora_A." in n or ".lora_B." in n for n in trainable)


def test_explicit_targets_replace_the_familys_and_bad_runs_are_refused(tmp_path):
    checkpoint = build_family_checkpoint("starcoder", tmp_path)
    model_config = AutoConfig.from_pretrained(checkpoint)
    vocab = AutoTokenizer.from_pretrained(checkpoint).get_vocab()
    config = TrainConfig(init_from=str(checkpoint), lora=True, lora_targets=("c_attn",))
    assert check_lora(config, model_config, vocab) == ("c_attn",)
    with pytest.raises(ValueError, match=r"\['q_proj'\] are not linear layers.*'c_fc'"):
        check_lora(config.with_overrides(lora_targets=("c_attn", "q_proj")), model_config, vocab)
    with pytest.raises(ValueError, match="give init_from"):
        check_lora_run(config.with_overrides(init_from=None))
    with pytest.raises(ValueError, match="lora_rank must be at least 1"):
        check_lora(config.with_overrides(lora_rank=0), model_config, vocab)
    # a family of no table row (a GPTBigCode without StarCoder's FIM tokens) has no default
    with pytest.raises(ValueError, match="name them with --lora-targets"):
        check_lora(config.with_overrides(lora_targets=None), model_config, {"a": 0})


@pytest.fixture(scope="module")
def lora_run(micro_checkpoint, training_inputs, tmp_path_factory):
    """Six LoRA steps uninterrupted, and three steps then a checkpoint (ZeRO-2, fp32)."""
    _, tokens_dir = training_inputs
    root = tmp_path_factory.mktemp("lora")
    config = lora_config(micro_checkpoint, tokens_dir, root, zero_stage=2)
    vocab = load_tokenizer(micro_checkpoint).get_vocab()
    data, _ = open_run_data(config)
    engine = lora_engine(config, vocab)
    before = base_weights(engine)
    uninterrupted = run_steps(engine, config, data, TrainState(), 6)
    engine, state = lora_engine(config, vocab), TrainState()
    first = run_steps(engine, config, data, state, 3)
    checkpoint = root / "checkpoint"
    save_checkpoint(engine, checkpoint, state, load_tokenizer(micro_checkpoint), rank=0)
    return config, vocab, data, uninterrupted, first, checkpoint, before, engine


def test_lora_steps_change_the_adapter_only_and_keep_the_base_bit_identical(lora_run):
    _, _, _, uninterrupted, _, _, before, engine = lora_run
    assert uninterrupted[-1] < uninterrupted[0]  # the adapter learns
    assert base_weights(engine).keys() == before.keys()
    for name, weight in base_weights(engine).items():
        assert torch.equal(weight, before[name]), name
    lora_b = [p for n, p in engine.module.named_parameters() if ".lora_B." in n]
    assert lora_b and all(p.abs().sum() > 0 for p in lora_b)  # B starts at zero in peft


def test_a_lora_checkpoint_is_adapter_sized_and_resumes_with_the_same_losses(lora_run):
    config, vocab, data, uninterrupted, first, checkpoint, _, _ = lora_run
    full_model = (Path(config.init_from) / "model.safetensors").stat().st_size
    # the tensors saved: the adapter, DeepSpeed's copy of it and its AdamW moments, no base
    tensors = [p for p in checkpoint.rglob("*") if p.suffix in (".safetensors", ".pt")]
    assert len(tensors) == 3
    assert sum(p.stat().st_size for p in tensors) < full_model / 3
    assert (checkpoint / ADAPTER_SUBDIR / ADAPTER_WEIGHTS).stat().st_size < full_model / 10

    resumed_engine = lora_engine(config.with_overrides(seed=7), vocab)  # another adapter init
    state = load_checkpoint(resumed_engine, checkpoint)
    assert state == TrainState(step=3, tokens_seen=3 * config.global_batch_tokens)
    assert first + run_steps(resumed_engine, config, data, state, 3) == uninterrupted


def test_the_merged_export_loads_without_peft_and_equals_base_plus_adapter(lora_run, tmp_path):
    from peft import PeftModel

    config, _, data, _, _, checkpoint, _, _ = lora_run
    merged_dir, adapter_dir = tmp_path / "model", tmp_path / "adapter"
    export_lora_run(checkpoint, config.init_from, merged_dir, adapter_dir)
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    assert json.loads((adapter_dir / "adapter_config.json").read_text())["r"] == 4
    base = AutoModelForCausalLM.from_pretrained(config.init_from)
    with_adapter = PeftModel.from_pretrained(base, adapter_dir).eval()
    batch = torch.from_numpy(data.batch([0, 1]).astype("int64"))
    with torch.no_grad():
        expected = with_adapter(input_ids=batch).logits
        plain = AutoModelForCausalLM.from_pretrained(config.init_from).eval()(input_ids=batch)
        assert torch.allclose(merged(input_ids=batch).logits, expected, atol=1e-4)
        assert not torch.allclose(plain.logits, expected, atol=1e-3)  # the adapter matters
    assert AutoTokenizer.from_pretrained(merged_dir).convert_ids_to_tokens(0) == "<|endoftext|>"


def test_zero_offload_puts_the_optimizer_on_the_cpu_under_zero_2_and_3_only():
    from starcoder_model.training.deepspeed_config import deepspeed_config

    config = TrainConfig(micro_batch_size=4, seq_len=64, global_batch_tokens=256, num_workers=1)
    for stage in (2, 3):
        offloaded = config.with_overrides(zero_stage=stage, offload_optimizer=True)
        zero = deepspeed_config(offloaded, world_size=1)["zero_optimization"]
        assert zero["offload_optimizer"] == {"device": "cpu", "pin_memory": False}
    assert "offload_optimizer" not in deepspeed_config(config, 1)["zero_optimization"]
    with pytest.raises(ValueError, match="offload_optimizer needs zero_stage 2 or 3"):
        deepspeed_config(config.with_overrides(zero_stage=1, offload_optimizer=True), 1)


def test_the_command_line_sets_the_lora_fields_and_set_overrides_them(micro_checkpoint, tmp_path):
    from ray_jobs import finetune

    common = ["--checkpoint", str(micro_checkpoint), "--tokens", "t", "--output", str(tmp_path)]
    lora = ["--lora", "--lora-rank", "8", "--lora-targets", "c_attn", "--lora-targets", "c_fc"]
    config = finetune.train_config(finetune.parse_args([*common, *lora, "--set", "lora_alpha=4"]))
    assert (config.lora, config.lora_rank, config.lora_alpha) == (True, 8, 4)
    assert config.lora_targets == ("c_attn", "c_fc") and config.optimizer.lr == 2e-4
    assert TrainConfig.from_dict(config.to_dict()) == config  # as the workers receive it
    full = finetune.train_config(finetune.parse_args(common))
    assert not full.lora and full.optimizer.lr == 5e-5
    with pytest.raises(SystemExit):  # a LoRA option without --lora is a mistake, not ignored
        finetune.parse_args([*common, "--lora-rank", "8"])
