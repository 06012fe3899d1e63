"""API keys and chat completions, on an app started with a key file and a chat template."""

from __future__ import annotations

import httpx
import pytest
from conftest import API_KEY, KEYED_MODEL_ID

pytestmark = pytest.mark.integration


def test_every_route_but_health_needs_a_key(keyed_url):
    assert httpx.get(f"{keyed_url}/health", timeout=60).json()["status"] == "ok"
    body = {"prompt": "x", "max_tokens": 2}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        for method, path, json in [
            ("POST", "/v1/completions", body),
            ("GET", "/v1/models", None),
            ("POST", "/generate", {"inputs": "x"}),
            ("GET", "/openapi.json", None),
        ]:
            response = httpx.request(
                method, f"{keyed_url}{path}", json=json, headers=headers, timeout=60
            )
            assert response.status_code == 401, (path, headers)
            error = response.json()["error"]
            assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    ok = httpx.post(
        f"{keyed_url}/v1/completions",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    )
    assert ok.status_code == 200 and ok.json()["model"] == KEYED_MODEL_ID


def test_the_openai_client_with_and_without_the_key(keyed_url):
    import openai

    without = openai.OpenAI(base_url=f"{keyed_url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        without.completions.create(model=KEYED_MODEL_ID, prompt="x", max_tokens=2)
    client = openai.OpenAI(base_url=f"{keyed_url}/v1", api_key=API_KEY, max_retries=0)
    assert [m.id for m in client.models.list()] == [KEYED_MODEL_ID]


def test_chat_completions_use_the_template_streamed_or_not(keyed_url, chat_checkpoint):
    import openai
    from starcoder_serve import CompletionRequest, CompletionService

    client = openai.OpenAI(base_url=f"{keyed_url}/v1", api_key=API_KEY, max_retries=0)
    messages = [
        {"role": "system", "content": "You write Python."},
        {"role": "user", "content": "Reverse a list."},
    ]
    chat = client.chat.completions.create(
        model=KEYED_MODEL_ID, messages=messages, max_tokens=8, temperature=0
    )
    # what the model saw is the ChatML rendering of the messages
    local = CompletionService.from_checkpoint(chat_checkpoint, model_id=KEYED_MODEL_ID)
    prompt = local.tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True
    )
    assert prompt.endswith("<|im_start|>assistant\n")
    [expected] = local.prepare(CompletionRequest(prompt=prompt, max_tokens=8, temperature=0))
    local.generate([expected])
    assert chat.choices[0].message.role == "assistant"
    assert chat.choices[0].message.content == expected.text
    assert chat.usage.prompt_tokens == len(expected.prompt_ids)
    stream = client.chat.completions.create(
        model=KEYED_MODEL_ID,
        messages=messages,
        max_tokens=8,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected.text
    assert (
        chunks[-1].choices == []
        and chunks[-1].usage.completion_tokens == chat.usage.completion_tokens
    )
    with pytest.raises(openai.BadRequestError, match="tools"):
        client.chat.completions.create(
            model=KEYED_MODEL_ID,
            messages=messages,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        )


def test_the_playground_client_sends_the_key(keyed_url):
    from starcoder_playground import CompletionSettings, PlaygroundClient, ServeError

    settings = CompletionSettings(max_tokens=4, temperature=0)
    client = PlaygroundClient(keyed_url, api_key=API_KEY)
    assert client.model_id() == KEYED_MODEL_ID
    assert list(client.stream("def f():", settings))
    with pytest.raises(ServeError, match="401"):
        list(PlaygroundClient(keyed_url, api_key="sk-wrong").stream("def f():", settings))
