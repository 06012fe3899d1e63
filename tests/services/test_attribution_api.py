"""The ``attribution`` extension over HTTP: sources, membership, privacy, streaming."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import (
    MEMORISED_PATH,
    MEMORISED_PROMPT,
    MEMORISED_REPO,
    MEMORISED_SEED,
    MEMORISED_TOKENS,
    MODEL_ID,
)

pytestmark = pytest.mark.integration

MEMORISED = {
    "model": MODEL_ID,
    "prompt": MEMORISED_PROMPT,
    "max_tokens": MEMORISED_TOKENS,
    "temperature": 1.0,
    "seed": MEMORISED_SEED,
}


@pytest.fixture(scope="module")
def client(serve_url):
    with httpx.Client(base_url=serve_url, timeout=120) as client:
        yield client


def test_a_memorised_completion_is_traced_to_its_training_file(client):
    body = {**MEMORISED, "attribution": {"top_k": 2, "privacy": "flag"}}
    [choice] = client.post("/v1/completions", json=body).json()["choices"]
    found = choice["attribution"]
    assert found["member"] is True and found["matched_fraction"] > 0.8
    top = found["sources"][0]
    assert (top["repo"], top["path"], top["license"]) == (MEMORISED_REPO, MEMORISED_PATH, "MIT")
    assert found["spans"] and all(0 <= a < b <= len(choice["text"]) for a, b in found["spans"])
    assert found["privacy"] == [] and found["redacted"] is False


def test_attribution_is_off_by_default_and_fresh_text_is_not_a_member(client):
    [plain] = client.post("/v1/completions", json=MEMORISED).json()["choices"]
    assert plain["attribution"] is None
    fresh = {**MEMORISED, "seed": 99, "attribution": {"top_k": 0}}
    [choice] = client.post("/v1/completions", json=fresh).json()["choices"]
    assert choice["attribution"]["member"] is False and choice["attribution"]["sources"] == []


def test_streamed_attribution_rides_on_the_last_chunk(client):
    body = {**MEMORISED, "stream": True, "attribution": {"top_k": 1}}
    with client.stream("POST", "/v1/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    chunks = [json.loads(line.removeprefix("data: "))["choices"][0] for line in lines]
    assert all("attribution" not in c for c in chunks[:-1])
    last = chunks[-1]
    assert last["finish_reason"] is not None and last["attribution"]["member"] is True
    assert last["attribution"]["sources"][0]["repo"] == MEMORISED_REPO


def test_the_openai_client_passes_the_extension(serve_url):
    from openai import OpenAI

    client = OpenAI(base_url=f"{serve_url}/v1", api_key="unused")
    completion = client.completions.create(
        **{k: v for k, v in MEMORISED.items()}, extra_body={"attribution": {"top_k": 1}}
    )
    found = completion.choices[0].model_extra["attribution"]
    assert found["member"] and found["sources"][0]["path"] == MEMORISED_PATH


@pytest.mark.parametrize(
    ("attribution", "stream", "message"),
    [
        ({"top_k": 11}, False, "top_k"),
        ({"privacy": "shred"}, False, "privacy"),
        ({"unknown": 1}, False, "unknown"),
        ({"privacy": "redact"}, True, "redact"),
    ],
)
def test_bad_attribution_options_are_400s(client, attribution, stream, message):
    body = {**MEMORISED, "max_tokens": 4, "stream": stream, "attribution": attribution}
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"] and error["param"] == "attribution"
