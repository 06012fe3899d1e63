"""One serve app (the micro checkpoint) for every integration test under tests/services."""

from __future__ import annotations

import socket

import pytest

MODEL_ID = "micro"


def free_port() -> int:
    """A port free right now (the machine is shared: never a fixed port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def serve_url(ray_cluster, micro_checkpoint):
    """Base URL of the serve app on the session's Ray cluster; removed at the end."""
    from ray import serve
    from starcoder_serve.app import build_app

    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    settings = {
        "checkpoint": str(micro_checkpoint),
        "model_id": MODEL_ID,
        "num_cpus": 0,  # leave the session's two CPUs to the other tests' Ray work
        "torch_threads": 1,
        "min_replicas": 1,
        "max_replicas": 1,
    }
    serve.run(build_app(settings), name="starcoder", route_prefix="/")
    yield f"http://127.0.0.1:{port}"
    serve.delete("starcoder")
    serve.shutdown()
