"""The OpenAI-compatible HTTP API, driven by httpx and by the ``openai`` package itself."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import MODEL_ID

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(serve_url):
    with httpx.Client(base_url=serve_url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def local_service(micro_checkpoint):
    """The same checkpoint in this process: what the server must answer, token for token."""
    from starcoder_serve import CompletionService

    return CompletionService.from_checkpoint(micro_checkpoint, model_id=MODEL_ID, device="cpu")


def _local_text(service, **fields) -> list[str]:
    from starcoder_serve import CompletionRequest

    sequences = service.prepare(CompletionRequest(model=MODEL_ID, **fields))
    service.generate(sequences)
    return [s.text for s in sequences]


def _events(response: httpx.Response) -> list[dict]:
    lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]


def test_health_models_and_openapi(client):
    assert client.get("/health").json()["status"] == "ok"
    models = client.get("/v1/models").json()
    assert [m["id"] for m in models["data"]] == [MODEL_ID]
    assert models["data"][0]["max_model_len"] == 256
    spec = client.get("/openapi.json").json()
    assert "/v1/completions" in spec["paths"]


def test_greedy_completion_matches_the_model_in_process(client, local_service):
    fields = {"prompt": "def add(a, b):", "max_tokens": 12, "temperature": 0}
    body = client.post("/v1/completions", json={"model": MODEL_ID, **fields}).json()
    assert body["object"] == "text_completion" and body["model"] == MODEL_ID
    assert [c["text"] for c in body["choices"]] == _local_text(local_service, **fields)
    assert body["usage"]["completion_tokens"] <= 12
    assert body["choices"][0]["finish_reason"] in {"stop", "length"}


def test_fill_in_the_middle_returns_only_the_middle(client, local_service):
    fields = {
        "prompt": "def add(a, b):\n",
        "suffix": "\n    return c\n",
        "max_tokens": 10,
        "temperature": 0,
    }
    body = client.post("/v1/completions", json=fields).json()
    text = body["choices"][0]["text"]
    assert [text] == _local_text(local_service, **fields)
    # the prompt the model saw is StarCoder's PSM prompt: prefix, suffix, then the middle
    fim_prompt = "<fim_prefix>def add(a, b):\n<fim_suffix>\n    return c\n<fim_middle>"
    assert [text] == _local_text(local_service, prompt=fim_prompt, max_tokens=10, temperature=0)
    assert body["usage"]["prompt_tokens"] == len(
        local_service.tokenizer(fim_prompt, add_special_tokens=False)["input_ids"]
    )


def test_streaming_sends_the_same_text_in_pieces(client):
    fields = {"prompt": "import os\n", "max_tokens": 16, "temperature": 0.7, "seed": 11, "n": 2}
    whole = client.post("/v1/completions", json=fields).json()
    with client.stream("POST", "/v1/completions", json={**fields, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)
    texts = ["", ""]
    finish = [None, None]
    for event in events:
        choice = event["choices"][0]
        texts[choice["index"]] += choice["text"]
        finish[choice["index"]] = choice["finish_reason"] or finish[choice["index"]]
    assert texts == [c["text"] for c in whole["choices"]]
    assert finish == [c["finish_reason"] for c in whole["choices"]]
    assert len(events) > 2


def test_seed_reproduces_and_stop_cuts(client):
    fields = {"prompt": "class A:", "max_tokens": 20, "temperature": 1.0, "seed": 3}
    first = client.post("/v1/completions", json=fields).json()["choices"][0]["text"]
    again = client.post("/v1/completions", json=fields).json()["choices"][0]["text"]
    assert first == again
    assert len(first) > 2, first  # seed 3 samples more than two characters: a stop can cut them
    stop = first[1:3]
    cut = client.post("/v1/completions", json={**fields, "stop": [stop]}).json()
    assert cut["choices"][0]["text"] == first[: first.find(stop)]
    assert cut["choices"][0]["finish_reason"] == "stop"


def test_concurrent_requests_each_get_their_own_answer(serve_url, local_service):
    import concurrent.futures

    prompts = ["def f(x):", "import sys", "x = 1\ny =", "for i in range(10):"]

    def ask(prompt):
        with httpx.Client(base_url=serve_url, timeout=120) as c:
            body = {"prompt": prompt, "max_tokens": 8 + len(prompt) % 5, "temperature": 0}
            return c.post("/v1/completions", json=body).json()["choices"][0]["text"]

    with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
        answers = list(pool.map(ask, prompts))
    expected = [
        _local_text(local_service, prompt=p, max_tokens=8 + len(p) % 5, temperature=0)[0]
        for p in prompts
    ]
    assert answers == expected


def test_the_openai_client_completes_streams_and_infills(serve_url, local_service):
    import openai

    client = openai.OpenAI(base_url=f"{serve_url}/v1", api_key="unused", max_retries=0)
    completion = client.completions.create(
        model=MODEL_ID, prompt="def main():", max_tokens=8, temperature=0
    )
    expected = _local_text(local_service, prompt="def main():", max_tokens=8, temperature=0)
    assert [completion.choices[0].text] == expected
    stream = client.completions.create(
        model=MODEL_ID, prompt="def main():", max_tokens=8, temperature=0, stream=True
    )
    assert ["".join(chunk.choices[0].text for chunk in stream)] == expected
    infill = client.completions.create(
        model=MODEL_ID,
        prompt="def f(a):\n",
        suffix="\n    return a\n",
        max_tokens=8,
        temperature=0,
    )
    fim = _local_text(
        local_service, prompt="def f(a):\n", suffix="\n    return a\n", max_tokens=8, temperature=0
    )
    assert [infill.choices[0].text] == fim
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.completions.create(model="gpt-4", prompt="x", max_tokens=2)
    with pytest.raises(openai.BadRequestError, match="maximum context length is 256"):
        client.completions.create(model=MODEL_ID, prompt="x", max_tokens=1000)


def test_what_editors_send_many_stops_logprobs_echo_usage(serve_url, local_service):
    import openai

    client = openai.OpenAI(base_url=f"{serve_url}/v1", api_key="unused", max_retries=0)
    stops = [f"never{i}" for i in range(40)] + ["\n\n\n"]
    fields = {"model": MODEL_ID, "prompt": "def main():", "max_tokens": 8, "temperature": 0}
    completion = client.completions.create(**fields, stop=stops, logprobs=2, echo=True)
    choice = completion.choices[0]
    expected = _local_text(local_service, prompt="def main():", max_tokens=8, temperature=0,
                           stop=stops)[0]  # fmt: skip
    assert choice.text == "def main():" + expected
    assert "".join(choice.logprobs.tokens) == choice.text
    assert choice.logprobs.token_logprobs[0] is None and len(choice.logprobs.top_logprobs[1]) >= 2
    with pytest.raises(openai.BadRequestError, match="at most 64"):
        client.completions.create(**fields, stop=[f"s{i}" for i in range(65)])
    with pytest.raises(openai.BadRequestError, match="top_k"):
        client.completions.create(**fields, extra_body={"top_k": 4})
    stream = client.completions.create(
        **fields, stream=True, logprobs=1, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    pieces = [c.choices[0] for c in chunks[:-1]]
    assert "".join(p.text for p in pieces) == _local_text(local_service, **{
        k: v for k, v in fields.items() if k != "model"})[0]  # fmt: skip
    # token-sized deltas: each chunk with text carries exactly the tokens that make it
    for piece in pieces:
        if piece.text:
            assert "".join(piece.logprobs.tokens) == piece.text
    texts = [p for p in pieces if p.text]
    assert max(len(p.logprobs.tokens) for p in texts) == 1


def test_chat_without_a_template_is_a_clear_400(client):
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "chat_template_missing" and "chat template" in error["message"]
