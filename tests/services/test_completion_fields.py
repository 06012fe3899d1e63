"""OpenAI's sampling fields, API keys, chat templates, TGI bodies and FIM by family, without Ray."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError
from starcoder_serve import CompletionRequest, CompletionService, RequestError


@pytest.fixture(scope="module")
def service(micro_checkpoint):
    return CompletionService.from_checkpoint(micro_checkpoint, model_id="micro", device="cpu")


def _run(service, **fields):
    request = CompletionRequest(**fields)
    sequences = service.prepare(request)
    service.generate(sequences)
    return service.response(sequences, request), sequences


def test_logprobs_are_the_models_own_in_openais_shape(service):
    response, [sequence] = _run(
        service, prompt="def f(x):", max_tokens=6, temperature=0, logprobs=2
    )
    choice = response.choices[0]
    logprobs = choice.logprobs
    assert "".join(logprobs.tokens) == choice.text
    assert logprobs.text_offset == [len("".join(logprobs.tokens[:i])) for i in range(6)]
    with torch.inference_mode():
        ids = torch.tensor([sequence.prompt_ids])
        first = torch.log_softmax(service.model(input_ids=ids).logits[0, -1].float(), -1)
    assert logprobs.token_logprobs[0] == pytest.approx(float(first.max()), abs=1e-4)
    for drawn, top in zip(logprobs.token_logprobs, logprobs.top_logprobs, strict=True):
        assert len(top) <= 3 and max(top.values()) == pytest.approx(drawn, abs=1e-5)  # greedy


def test_echo_prepends_the_prompt_and_scores_its_tokens(service):
    prompt = "import os\nimport sys\n"
    response, [sequence] = _run(service, prompt=prompt, max_tokens=3, temperature=0, echo=True)
    assert response.choices[0].text == prompt + sequence.text
    scored, _ = _run(service, prompt=prompt, max_tokens=0, echo=True, logprobs=1)
    logprobs = scored.choices[0].logprobs
    assert scored.choices[0].text == prompt
    assert len(logprobs.tokens) == len(sequence.prompt_ids) and "".join(logprobs.tokens) == prompt
    assert logprobs.token_logprobs[0] is None and logprobs.text_offset[0] == 0
    assert all(lp < 0 for lp in logprobs.token_logprobs[1:])
    with pytest.raises(ValidationError, match="echo is not supported with suffix"):
        CompletionRequest(prompt="a", suffix="b", echo=True)
    with pytest.raises(ValidationError, match="0 only with echo"):
        CompletionRequest(prompt="a", max_tokens=0)


def test_logit_bias_and_penalties_change_the_choice(service):
    _, [plain] = _run(service, prompt="x = 1\n", max_tokens=8, temperature=0)
    token = plain.token_ids[0]
    _, [banned] = _run(
        service, prompt="x = 1\n", max_tokens=8, temperature=0, logit_bias={str(token): -100.0}
    )
    assert token not in banned.token_ids
    _, [forced] = _run(
        service, prompt="x = 1\n", max_tokens=4, temperature=0, logit_bias={"65": 100.0}
    )
    assert forced.token_ids == [65] * 4
    _, [penalised] = _run(
        service,
        prompt="x = 1\n",
        max_tokens=8,
        temperature=0,
        frequency_penalty=2.0,
        presence_penalty=2.0,
    )
    assert len(set(penalised.token_ids)) > len(set(plain.token_ids))
    with pytest.raises(RequestError, match="outside the vocabulary"):
        service.prepare(CompletionRequest(prompt="x", logit_bias={"999999": 1.0}))


def test_best_of_returns_the_candidate_with_the_highest_mean_logprob(service):
    fields = {"prompt": "class A:", "max_tokens": 6, "temperature": 1.0, "seed": 7}
    best, _ = _run(service, **fields, best_of=4)
    _, candidates = _run(service, **fields, n=4, logprobs=0)
    winner = max(candidates, key=lambda s: s.mean_logprob)
    assert [c.text for c in best.choices] == [winner.text]
    assert best.usage.completion_tokens == sum(len(s.token_ids) for s in candidates)
    with pytest.raises(ValidationError, match="cannot be streamed"):
        CompletionRequest(prompt="x", best_of=2, stream=True)


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"prompt": "x", "top_k": 5}, "top_k"),
        ({"prompt": "x", "repetition_penalty": 1.2}, "repetition_penalty"),
        ({"prompt": "x", "stream_options": {"include_usage": True}}, "stream_options"),
        ({"prompt": "x", "logprobs": 6}, None),
    ],
)
def test_fields_that_would_change_the_answer_are_refused_by_name(fields, param):
    with pytest.raises(ValidationError) as refused:
        CompletionRequest.model_validate(fields)
    cause = refused.value.errors()[0].get("ctx", {}).get("error")
    assert getattr(cause, "field", None) == param
    # a client's own bookkeeping field is ignored, a neutral top_k too
    assert CompletionRequest.model_validate({"prompt": "x", "top_k": None, "client_id": 3})


def test_api_keys_from_file_and_environment(tmp_path):
    from starcoder_serve.auth import exposure_warning, is_authorized, load_api_keys

    key_file = tmp_path / "keys.txt"
    key_file.write_text("# team keys\nsk-one\n\n  sk-two  \n")
    keys = load_api_keys(key_file, {"STARCODER_API_KEYS": "sk-three, ,sk-one"})
    assert keys == ("sk-one", "sk-two", "sk-three")
    assert is_authorized("Bearer sk-two", keys) and is_authorized("bearer sk-three", keys)
    for header in (None, "", "Bearer", "Bearer sk-on", "Basic sk-one", "sk-one", "Bearer sk-one2"):
        assert not is_authorized(header, keys), header
    assert is_authorized(None, ())  # no keys: open
    assert load_api_keys(None, {}) == ()
    with pytest.raises(FileNotFoundError):
        load_api_keys(tmp_path / "missing.txt", {})
    assert "without API keys" in exposure_warning("0.0.0.0", ())
    assert exposure_warning("127.0.0.1", ()) is None and exposure_warning("0.0.0.0", keys) is None


def test_chat_template_renders_messages_or_refuses(service, tmp_path):
    from family_fixture import CHATML_TEMPLATE
    from starcoder_serve.chat import ChatCompletionRequest, ChatMessage, render_chat

    messages = [ChatMessage(role="user", content="hi")]
    with pytest.raises(RequestError) as missing:
        render_chat(service.tokenizer, messages)
    assert missing.value.code == "chat_template_missing"
    service.tokenizer.save_pretrained(tmp_path)
    from transformers import AutoTokenizer

    chat_tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    chat_tokenizer.chat_template = CHATML_TEMPLATE
    prompt, stops = render_chat(chat_tokenizer, messages)
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert stops == ("<|im_end|>",)
    request = ChatCompletionRequest.model_validate(
        {
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            "max_completion_tokens": 5,
            "stop": ["a"],
        }
    )
    assert request.completion_request("p").max_tokens == 5
    with pytest.raises(ValidationError, match="`tools` is not supported"):
        ChatCompletionRequest.model_validate(
            {"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}
        )


def test_tgi_body_maps_to_the_same_generation():
    from starcoder_serve.tgi import TgiError, parse_tgi_request

    llm_vscode = parse_tgi_request(
        b'{"inputs": "def f():", "parameters": {"max_new_tokens": 60, "temperature": 0.2,'
        b' "top_p": 0.95, "return_full_text": false}}'
    )
    request = llm_vscode.completion_request()
    assert (request.max_tokens, request.temperature, request.top_p) == (60, 0.2, 0.95)
    greedy = parse_tgi_request(b'{"inputs": "x", "parameters": {"do_sample": false}}')
    assert greedy.completion_request().temperature == 0.0
    assert greedy.completion_request().max_tokens == 100  # TGI's default
    for body, named in [
        (b'{"inputs": "x", "parameters": {"top_k": 10}}', "top_k"),
        (b'{"inputs": "x", "parameters": {"watermark": true}}', "watermark"),
        (b'{"inputs": ""}', "inputs"),
        (b'{"inputs": "x", "parameters": {"best_of": 2}}', "best_of"),
    ]:
        with pytest.raises(TgiError, match=named):
            parse_tgi_request(body)


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("starcoder", "<fim_prefix>a<fim_suffix>b<fim_middle>"),
        ("starcoder2", "<fim_prefix>a<fim_suffix>b<fim_middle>"),
        ("codellama", "<PRE> a <SUF>b <MID>"),
        ("deepseek-coder", "<｜fim▁begin｜>a<｜fim▁hole｜>b<｜fim▁end｜>"),
        ("qwen2.5-coder", "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"),
    ],
)
def test_fim_prompt_follows_the_family_on_both_engines(family, expected):
    from starcoder_data.families import get_family
    from starcoder_serve.service import build_family_prompt
    from starcoder_serve.vllm_app import fim_completion_fields

    assert build_family_prompt(get_family(family), "a", "b") == expected
    fields = fim_completion_fields("a", "b", "\n\n", get_family(family), ("<eot>",))
    assert fields == {"prompt": expected, "suffix": None, "stop": ["\n\n", "<eot>"]}
    assert fim_completion_fields(["a", "a"], "b", None, get_family(family), ())["prompt"] == [
        expected,
        expected,
    ]


def test_a_family_without_fim_refuses_a_suffix():
    from starcoder_data.families import family_for
    from starcoder_serve.service import build_family_prompt
    from starcoder_serve.vllm_app import fim_completion_fields

    plain = family_for("llama", vocab=())
    with pytest.raises(RequestError) as refused:
        build_family_prompt(plain, "a", "b")
    assert refused.value.param == "suffix" and refused.value.code == "fim_unsupported"
    assert fim_completion_fields("a", None, None, plain, ()) == {"stop": []}
    with pytest.raises(ValueError, match="fill-in-the-middle"):
        fim_completion_fields("a", "b", None, plain, ())


def test_a_qwen_checkpoint_infills_and_stops_with_its_own_tokens(tmp_path):
    from family_fixture import build_family_checkpoint
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = build_family_checkpoint("qwen2.5-coder", tmp_path / "qwen")
    model = AutoModelForCausalLM.from_pretrained(root).eval()
    tokenizer = AutoTokenizer.from_pretrained(root)
    service = CompletionService(model, tokenizer, model_id="qwen")
    vocab = tokenizer.get_vocab()
    assert service.family.name == "qwen2.5-coder"
    assert service.eos_token_id == vocab["<|endoftext|>"]
    assert vocab["<|file_sep|>"] in service.stop_token_ids
    assert vocab["<|im_end|>"] in service.stop_token_ids
    [sequence] = service.prepare(
        CompletionRequest(prompt="a", suffix="b", max_tokens=3, temperature=0)
    )
    assert tokenizer.decode(sequence.prompt_ids) == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"
    service.generate([sequence])
    assert sequence.finished


def test_vllm_front_is_configured_from_the_checkpoints_family(micro_checkpoint):
    from starcoder_serve import ServeSettings
    from starcoder_serve.vllm_app import INGRESS_CLASS, vllm_serving_args

    args = vllm_serving_args(ServeSettings(checkpoint=str(micro_checkpoint), engine="vllm"))
    assert args["ingress_cls_config"]["ingress_cls"] == INGRESS_CLASS
    assert args["ingress_cls_config"]["ingress_extra_kwargs"] == {
        "fim_family": "starcoder",
        "family_stops": ["<|endoftext|>"],
    }
