"""Bad requests are 4xx answers in OpenAI's error shape, and the server keeps serving."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}
BAD_BODIES = {
    "malformed JSON": (b'{"prompt": "x", ', 400, None),
    "not UTF-8": (b'{"prompt": "\xff\xfe\xfd"}', 400, None),
    "wrong type": (json.dumps({"prompt": "x", "max_tokens": "many"}).encode(), 400, "max_tokens"),
    "prompt not text": (json.dumps({"prompt": 42}).encode(), 400, "prompt"),
    "negative max_tokens": (
        json.dumps({"prompt": "x", "max_tokens": -5}).encode(),
        400,
        "max_tokens",
    ),
    "huge max_tokens": (
        json.dumps({"prompt": "x", "max_tokens": 10**15}).encode(),
        400,
        "max_tokens",
    ),
    "empty prompt": (json.dumps({"prompt": ""}).encode(), 400, "prompt"),
    "temperature out of range": (
        json.dumps({"prompt": "x", "temperature": 9}).encode(),
        400,
        "temperature",
    ),
    "unknown model": (json.dumps({"prompt": "x", "model": "gpt-4"}).encode(), 404, "model"),
    "10 MB body": (json.dumps({"prompt": "x" * 10_000_000}).encode(), 413, None),
    "missing prompt": (b"{}", 400, "prompt"),
}


@pytest.fixture(scope="module")
def client(serve_url):
    with httpx.Client(base_url=serve_url, timeout=120) as client:
        yield client


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_request_is_a_4xx_with_a_message(client, case):
    body, status, param = BAD_BODIES[case]
    response = client.post("/v1/completions", content=body, headers=JSON)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["type"] == "invalid_request_error"
    assert error["param"] == param
    ok = client.post("/v1/completions", json={"prompt": "x", "max_tokens": 2})
    assert ok.status_code == 200  # still serving


def test_prompt_plus_max_tokens_beyond_the_context_is_explained(client):
    response = client.post("/v1/completions", json={"prompt": "def f():", "max_tokens": 255})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "maximum context length is 256 tokens" in message and "255 for the completion" in message


def test_unknown_route_is_404_in_the_same_shape(client):
    response = client.get("/v1/engines")
    assert response.status_code == 404
    assert "message" in response.json()["error"]


def test_fuzzing_the_openapi_spec_finds_no_server_error(serve_url):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    schema = schemathesis.openapi.from_url(f"{serve_url}/openapi.json")
    operation = schema["/v1/completions"]["POST"]

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        body = case.body
        if isinstance(body, dict) and type(body.get("max_tokens")) is int:
            body["max_tokens"] = min(body["max_tokens"], 4)  # keep each case quick
        response = case.call(base_url=serve_url, timeout=60)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["error"]["message"]

    check()
