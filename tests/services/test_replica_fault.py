"""A replica killed under load: in-flight requests fail clearly, new ones succeed, it returns."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import httpx
import pytest

pytestmark = pytest.mark.integration

APP = "starcoder"


def _replica_actors(ray) -> list[str]:
    return sorted(
        actor["name"]
        for actor in ray.util.list_named_actors(all_namespaces=True)
        # this app's replicas only: other tests deploy apps of their own (the keyed one)
        if actor["namespace"] == "serve" and actor["name"].startswith(f"SERVE_REPLICA::{APP}#")
    )


def _stream(serve_url: str, started: threading.Event) -> tuple[str, float]:
    """Stream a long completion: how it ended ('done' or the failure) and when."""
    body = {"prompt": "def f():", "max_tokens": 240, "temperature": 0.8, "seed": 1, "stream": True}
    try:
        with httpx.stream(
            "POST", f"{serve_url}/v1/completions", json=body, timeout=120
        ) as response:
            if response.status_code >= 500:
                return f"status {response.status_code}", time.monotonic()
            for line in response.iter_lines():
                started.set()
                if line == "data: [DONE]":
                    return "done", time.monotonic()
                if '"error"' in line:
                    return "error event", time.monotonic()
            return "cut off", time.monotonic()
    except httpx.HTTPError as error:
        return f"transport error: {type(error).__name__}", time.monotonic()
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
        killed_at = time.monotonic()
        ray.kill(ray.get_actor(before, namespace="serve"), no_restart=True)
        outcomes = [future.result(timeout=180) for future in streams]
    in_flight = [outcome for outcome, ended in outcomes if ended >= killed_at]
    assert in_flight, f"every stream ended before the kill: {outcomes}"
    # what docs/serving.md promises: an in-flight stream never ends as if it were whole
    # (no [DONE], no clean end without one); it gets a 5xx, an error event or a cut connection
    failures = ("status 5", "error event", "transport error")
    assert all(outcome.startswith(failures) for outcome in in_flight), outcomes
    # a new request is routed to the replacement replica once it is up
    answer = httpx.post(
        f"{serve_url}/v1/completions", json={"prompt": "x", "max_tokens": 3}, timeout=180
    )
    assert answer.status_code == 200, answer.text
    status = serve.status().applications[APP]
    assert status.status == "RUNNING"
    (after,) = _replica_actors(ray)
    assert after != before
