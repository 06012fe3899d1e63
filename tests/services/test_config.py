"""The serve app's settings and engine choice, checked without starting Ray."""

from __future__ import annotations

import importlib.util

import pytest
from pydantic import ValidationError
from starcoder_serve import ServeSettings


def test_autoscaling_targets_one_full_batch_per_replica():
    settings = ServeSettings(checkpoint="ckpt", max_batch_size=8, max_replicas=3)
    config = settings.autoscaling_config()
    assert config["target_ongoing_requests"] == 8 and config["max_replicas"] == 3
    assert settings.max_ongoing_requests() >= settings.max_batch_size
    gpu = ServeSettings(checkpoint="ckpt", num_gpus=1, device="cuda")
    assert gpu.ray_actor_options() == {"num_cpus": 1.0, "num_gpus": 1.0}


def test_settings_refuse_unknown_fields_and_engines():
    with pytest.raises(ValidationError):
        ServeSettings(checkpoint="ckpt", engine="tgi")
    with pytest.raises(ValidationError):
        ServeSettings(checkpoint="ckpt", max_batch=4)


def test_model_id_defaults_to_the_checkpoint_folder(tmp_path):
    assert ServeSettings(checkpoint=str(tmp_path / "model")).served_model_id() == "model"
    assert ServeSettings(checkpoint="x", model_id="starcoder").served_model_id() == "starcoder"


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_the_vllm_engine_without_vllm_is_a_clear_error():
    from starcoder_serve.app import build_app

    with pytest.raises(RuntimeError, match="engine: vllm needs vLLM"):
        build_app({"checkpoint": "ckpt", "engine": "vllm"})


def test_vllm_config_serves_the_same_checkpoint_under_the_same_id():
    from starcoder_serve.vllm_app import vllm_llm_config

    config = vllm_llm_config(ServeSettings(checkpoint="/ckpt/model", engine="vllm"))
    assert config["model_loading_config"] == {"model_id": "model", "model_source": "/ckpt/model"}
