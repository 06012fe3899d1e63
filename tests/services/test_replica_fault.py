"""A replica killed under load: in-flight requests fail clearly, new ones succeed, it returns."""

from __future__ import annotations

import concurrent.futures
import threading

import httpx
import pytest

pytestmark = pytest.mark.integration

APP = "starcoder"


def _replica_actors(ray) -> list[str]:
    return sorted(
        actor["name"]
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if actor["namespace"] == "serve" and actor["name"].startswith("SERVE_REPLICA::")
    )


def _stream(serve_url: str, started: threading.Event) -> str:
    """Stream a long completion; 'done', or how the stream ended early."""
    body = {"prompt": "def f():", "max_tokens": 240, "temperature": 0.8, "seed": 1, "stream": True}
    try:
        with httpx.stream(
            "POST", f"{serve_url}/v1/completions", json=body, timeout=120
        ) as response:
            if response.status_code >= 500:
                return f"status {response.status_code}"
            for line in response.iter_lines():
                started.set()
                if line == "data: [DONE]":
                    return "done"
                if '"error"' in line:
                    return "error event"
            return "cut off"
    except httpx.HTTPError as error:
        return f"transport error: {type(error).__name__}"
    finally:
        started.set()


def test_killing_the_replica_under_load(ray_cluster, serve_url):
    from ray import serve

    ray = ray_cluster
    (before,) = _replica_actors(ray)
    started = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        streams = [pool.submit(_stream, serve_url, started) for _ in range(4)]
        assert started.wait(60)
        ray.kill(ray.get_actor(before, namespace="serve"), no_restart=True)
        outcomes = [future.result(timeout=180) for future in streams]
    # every in-flight request ended: finished before the kill, or with a visible error
    assert all(
        o == "done" or o.startswith(("status 5", "error", "cut off", "transport")) for o in outcomes
    ), outcomes
    # a new request is routed to the replacement replica once it is up
    answer = httpx.post(
        f"{serve_url}/v1/completions", json={"prompt": "x", "max_tokens": 3}, timeout=180
    )
    assert answer.status_code == 200, answer.text
    status = serve.status().applications[APP]
    assert status.status == "RUNNING"
    (after,) = _replica_actors(ray)
    assert after != before
