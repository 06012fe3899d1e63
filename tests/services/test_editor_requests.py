"""What editors send, replayed as they send it: Continue, Tabby, llm-vscode, InferenceClient."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import MODEL_ID

pytestmark = pytest.mark.integration

# Continue (provider: openai, useLegacyCompletionsEndpoint) autocompletes with its own
# FIM template rendered into the prompt and all of its stop words at once.
CONTINUE_STOPS = [
    "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<|endoftext|>", "</fim_middle>",
    "</code>", "\n\n", "\r\n\r\n", "/src/", "#- coding: utf-8", "```", "\ndef", "\nclass",
]  # fmt: skip
CONTINUE_BODY = {
    "model": MODEL_ID,
    "prompt": "<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))<fim_middle>",
    "max_tokens": 12,
    "temperature": 0.01,
    "top_p": 1,
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "stop": CONTINUE_STOPS,
    "stream": True,
}
# Tabby's http backend kind "openai/completion" with a prompt_template (FIM done client-side)
TABBY_BODY = {
    "model": MODEL_ID,
    "prompt": "<fim_prefix>def add(a, b):\n    <fim_suffix>\n<fim_middle>",
    "max_tokens": 12,
    "temperature": 0.1,
    "stream": True,
    "presence_penalty": 0.0,
}
# llm-ls (llm-vscode's server) with backend "tgi": its default requestBody plus inputs
LLM_VSCODE_BODY = {
    "inputs": "<fim_prefix>def add(a, b):\n    <fim_suffix>\n<fim_middle>",
    "parameters": {
        "max_new_tokens": 12,
        "temperature": 0.2,
        "top_p": 0.95,
        "return_full_text": False,
    },
}


def _sse(response: httpx.Response) -> list[dict]:
    lines = [line for line in response.iter_lines() if line.startswith("data:")]
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line.removeprefix("data:")) for line in lines[:-1]]


@pytest.mark.parametrize("body", [CONTINUE_BODY, TABBY_BODY], ids=["continue", "tabby"])
def test_continue_and_tabby_requests_stream_the_same_text_as_a_plain_request(serve_url, body):
    with httpx.stream("POST", f"{serve_url}/v1/completions", json=body, timeout=120) as response:
        assert response.status_code == 200, response.read()
        events = _sse(response)
    text = "".join(e["choices"][0]["text"] for e in events)
    plain = {k: body[k] for k in ("prompt", "max_tokens", "stop") if k in body}
    seeded = httpx.post(
        f"{serve_url}/v1/completions", json={**plain, "temperature": 0}, timeout=120
    ).json()
    if body["temperature"] <= 0.01:  # Continue's near-zero temperature is greedy in effect
        assert text == seeded["choices"][0]["text"]
    assert events[-1]["choices"][0]["finish_reason"] in {"stop", "length"}


def test_llm_vscode_request_and_the_huggingface_client(serve_url):
    from huggingface_hub import InferenceClient

    answer = httpx.post(f"{serve_url}/generate", json=LLM_VSCODE_BODY, timeout=120)
    assert answer.status_code == 200 and isinstance(answer.json()["generated_text"], str)
    client = InferenceClient(base_url=serve_url)
    prompt = "def add(a, b):\n"
    greedy = httpx.post(
        f"{serve_url}/v1/completions",
        json={"prompt": prompt, "max_tokens": 10, "temperature": 0, "stop": ["\nclass"]},
        timeout=120,
    ).json()["choices"][0]["text"]
    fields = {"max_new_tokens": 10, "do_sample": False, "stop": ["\nclass"]}
    assert client.text_generation(prompt, **fields) == greedy
    streamed = list(client.text_generation(prompt, stream=True, **fields))
    assert greedy and "".join(streamed) == greedy and len(streamed) > 1
    full = client.text_generation(prompt, return_full_text=True, details=True, **fields)
    assert full.generated_text == prompt + greedy
    assert full.details.finish_reason in {"length", "eos_token", "stop_sequence"}
    assert full.details.generated_tokens >= len(full.details.tokens)
    assert "".join(t.text for t in full.details.tokens) == greedy
    events = list(client.text_generation(prompt, stream=True, details=True, **fields))
    assert events[-1].generated_text == greedy and events[-1].details.finish_reason
    refused = httpx.post(
        f"{serve_url}/generate", json={"inputs": "x", "parameters": {"top_k": 5}}, timeout=60
    )
    assert refused.status_code == 422 and "top_k" in refused.json()["error"]


def test_tokenize_and_info(serve_url):
    tokens = httpx.post(f"{serve_url}/tokenize", json={"inputs": "def f():"}, timeout=60).json()
    assert "".join(t["text"] for t in tokens) == "def f():"
    assert [("def f():")[t["start"] : t["stop"]] for t in tokens] == [t["text"] for t in tokens]
    assert all(isinstance(t["id"], int) for t in tokens)
    info = httpx.get(f"{serve_url}/info", timeout=60).json()
    assert info["model_id"] == MODEL_ID and info["max_total_tokens"] == 256
