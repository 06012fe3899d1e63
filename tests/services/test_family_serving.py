"""Each model family served through the real loader: its FIM prompt, its end of the middle."""

from __future__ import annotations

import pytest
from family_fixture import FAMILY_NAMES, build_family_checkpoint
from starcoder_data.families import get_family
from starcoder_serve.protocol import CompletionRequest
from starcoder_serve.service import CompletionService


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    return {name: build_family_checkpoint(name, root / name) for name in FAMILY_NAMES}


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_suffix_request_uses_the_family_format_and_stops_at_its_end_token(checkpoints, name):
    service = CompletionService.from_checkpoint(checkpoints[name], device="cpu")
    family = get_family(name)
    assert service.family.name == name
    [infill] = service.prepare(
        CompletionRequest(prompt="def add(a, b):", suffix="\n", max_tokens=4, temperature=0)
    )
    prompt = service.tokenizer.decode(infill.prompt_ids)
    assert prompt == family.fim_prompt("def add(a, b):", "\n")
    # Push the model to write the family's end of the middle first: the answer ends there.
    end = family.fim.end_of_middle or family.end_of_text
    end_id = service.tokenizer.convert_tokens_to_ids(end)
    forced = CompletionRequest(prompt="def add(a, b):", suffix="\n", max_tokens=4, temperature=0,
                               logit_bias={str(end_id): 100.0})  # fmt: skip
    sequences = service.prepare(forced)
    service.generate(sequences)
    response = service.response(sequences, forced)
    assert response.choices[0].finish_reason == "stop" and response.choices[0].text == ""
