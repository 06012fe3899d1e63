"""Shared fixtures: one local Ray cluster per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray cluster shared by every integration test of the session."""
    import ray
    from _cluster import init_ray

    init_ray(num_cpus=2)
    yield ray
    ray.shutdown()
