"""The typed training config, the DeepSpeed JSON derived from it, and the LR schedule."""

import math

import pytest
from starcoder_model.training.config import OptimizerConfig, TrainConfig
from starcoder_model.training.deepspeed_config import deepspeed_config
from starcoder_model.training.presets import PRETRAIN_PRESETS, python_finetune
from starcoder_model.training.schedule import lr_multiplier


def make_config(**changes) -> TrainConfig:
    return TrainConfig(tokens_dir="t", output_dir="o").with_overrides(**changes)


def test_accumulation_is_derived_from_the_global_batch_and_the_workers():
    config = make_config(seq_len=512, micro_batch_size=4, global_batch_tokens=32_768)
    assert config.gradient_accumulation_steps(1) == 16
    assert config.gradient_accumulation_steps(2) == 8
    assert config.gradient_accumulation_steps(8) == 2


def test_a_global_batch_the_workers_cannot_divide_is_a_clear_error():
    config = make_config(seq_len=512, micro_batch_size=4, global_batch_tokens=32_768)
    with pytest.raises(ValueError, match="not divisible by .* 512 x 4 x 3"):
        config.gradient_accumulation_steps(3)


def test_deepspeed_config_follows_the_typed_config():
    config = make_config(zero_stage=3, precision="bf16", grad_clip=0.5)
    ds = deepspeed_config(config, world_size=2)
    assert ds["zero_optimization"]["stage"] == 3
    assert ds["bf16"] == {"enabled": True}
    assert ds["fp16"]["enabled"] is False
    assert ds["gradient_clipping"] == 0.5
    assert ds["train_micro_batch_size_per_gpu"] == config.micro_batch_size
    assert ds["train_batch_size"] * config.seq_len == config.global_batch_tokens
    assert ds["gradient_accumulation_steps"] == config.gradient_accumulation_steps(2)


@pytest.mark.parametrize("stage", [0, 1, 2, 3])
def test_every_zero_stage_gives_a_config_deepspeed_accepts(stage):
    from deepspeed.runtime.config import DeepSpeedConfig

    ds = deepspeed_config(make_config(zero_stage=stage), world_size=1)
    parsed = DeepSpeedConfig(ds)
    assert parsed.zero_optimization_stage == stage
    assert parsed.gradient_accumulation_steps == ds["gradient_accumulation_steps"]


def test_overrides_reach_the_optimizer_fields_and_round_trip_through_a_dict():
    config = make_config(lr=1e-3, max_steps=7, betas=(0.8, 0.9))
    assert config.optimizer.lr == 1e-3 and config.max_steps == 7
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown training config fields"):
        TrainConfig.from_dict(config.to_dict() | {"learning_rate": 1})


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_ten_percent():
    opt = OptimizerConfig(warmup_steps=10, min_lr_ratio=0.1)
    assert lr_multiplier(0, opt, 110) == pytest.approx(0.1)
    assert lr_multiplier(9, opt, 110) == pytest.approx(1.0)
    assert lr_multiplier(10, opt, 110) == pytest.approx(1.0)
    assert lr_multiplier(60, opt, 110) == pytest.approx(0.1 + 0.9 * 0.5)
    assert lr_multiplier(110, opt, 110) == pytest.approx(0.1)
    assert lr_multiplier(500, opt, 110) == pytest.approx(0.1)
    values = [lr_multiplier(s, opt, 110) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))
    assert not any(math.isnan(v) for v in values)


def test_presets_build_valid_configs():
    for name, config in PRETRAIN_PRESETS.items():
        assert config.gradient_accumulation_steps(config.num_workers) >= 1, name
    finetune = python_finetune("tokens", "out", init_from="ckpt")
    assert finetune.optimizer.lr == 5e-5  # StarCoder's Python fine-tune
    assert finetune.optimizer.lr * finetune.optimizer.min_lr_ratio == pytest.approx(5e-6)
