"""Request validation, the FIM prompt and what the service refuses, without Ray."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from starcoder_serve import CompletionRequest, CompletionService, RequestError, build_prompt


def test_fim_prompt_is_starcoders_prefix_suffix_middle_order():
    assert build_prompt("a", None) == "a"
    assert build_prompt("def f():\n", "\n    return x") == (
        "<fim_prefix>def f():\n<fim_suffix>\n    return x<fim_middle>"
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"prompt": "x", "max_tokens": "5"},  # strict: a string is not a number
        {"prompt": "x", "max_tokens": 0},
        {"prompt": "x", "temperature": -0.1},
        {"prompt": "x", "top_p": 0},
        {"prompt": "x", "n": 17},
        {"prompt": "x", "stop": [f"s{i}" for i in range(65)]},  # 64 at most
        {"prompt": "x", "stop": [""]},
        {"prompt": "x", "stream": "yes"},
        {"prompt": []},
        {"max_tokens": 3},
    ],
)
def test_invalid_fields_are_refused(fields):
    with pytest.raises(ValidationError):
        CompletionRequest.model_validate(fields)


def test_valid_request_normalises_prompts_and_stops():
    request = CompletionRequest.model_validate(
        {"prompt": ["a", "b"], "stop": "\n\n", "temperature": 0, "extra": 1}
    )
    assert request.prompts() == ["a", "b"] and request.stop_strings() == ("\n\n",)
    assert request.temperature == 0.0 and request.max_tokens == 16


@pytest.fixture(scope="module")
def service(micro_checkpoint):
    return CompletionService.from_checkpoint(micro_checkpoint, model_id="micro", device="cpu")


def test_prepare_refuses_what_the_model_cannot_serve(service):
    with pytest.raises(RequestError) as unknown:
        service.prepare(CompletionRequest(model="gpt-4", prompt="x"))
    assert unknown.value.status == 404 and unknown.value.code == "model_not_found"
    with pytest.raises(RequestError, match="must not be empty"):
        service.prepare(CompletionRequest(prompt=""))
    with pytest.raises(RequestError, match="maximum context length is 256 tokens"):
        service.prepare(CompletionRequest(prompt="def f():", max_tokens=255))
    # an empty prefix is a legitimate infilling request
    assert service.prepare(CompletionRequest(prompt="", suffix="return 1", max_tokens=2))


def test_n_choices_of_a_seeded_request_differ_and_reproduce(service):
    request = CompletionRequest(prompt="def f():", max_tokens=12, n=3, seed=5, temperature=1.0)
    first = service.prepare(request)
    service.generate(first)
    again = service.prepare(request)
    service.generate(again)
    assert [s.text for s in first] == [s.text for s in again]
    assert len({tuple(s.token_ids) for s in first}) > 1
    response = service.response(first, request)
    assert [c.index for c in response.choices] == [0, 1, 2]
    assert response.usage.prompt_tokens == len(first[0].prompt_ids)
