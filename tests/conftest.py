"""Shared fixtures: one local Ray cluster per test session."""

from __future__ import annotations

import os

import pytest

# DeepSpeed picks its accelerator once per process; these tests run on CPU.
os.environ.setdefault("DS_ACCELERATOR", "cpu")


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray cluster shared by every integration test of the session."""
    import ray
    from starcoder_jobs.ray_runtime import init_ray

    init_ray(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def training_inputs(tmp_path_factory):
    """A real tokenizer and token shards (64-token sequences) from stdlib code."""
    from training_fixture import build_training_inputs

    return build_training_inputs(tmp_path_factory.mktemp("training_inputs"))


@pytest.fixture(scope="session")
def micro_checkpoint(training_inputs, tmp_path_factory):
    """An untrained micro GPTBigCode checkpoint (HF format, 512-token tokenizer)."""
    from checkpoint_fixture import build_micro_checkpoint

    tokenizer_dir, _ = training_inputs
    return build_micro_checkpoint(tmp_path_factory.mktemp("micro_checkpoint"), tokenizer_dir)
