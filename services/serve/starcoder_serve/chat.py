"""OpenAI's ``/v1/chat/completions``: messages rendered by the tokenizer's chat template.

A chat request becomes a completion request: the checkpoint's own chat
template (``tokenizer.apply_chat_template(..., add_generation_prompt=True)``)
turns the messages into the prompt the model was tuned on, and the template's
end-of-turn marker is a stop string. A base model without a template (ours,
StarCoder's) is a 400 that says so, never a prompt format it never saw.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .protocol import (
    FOREIGN_SAMPLING_FIELDS,
    MAX_N,
    MAX_STOP,
    CompletionRequest,
    FieldError,
    RequestError,
    StreamOptions,
    Usage,
    refuse_unserved,
)

__all__ = ["ChatCompletionRequest", "ChatMessage", "chat_chunk", "chat_response", "render_chat"]

# OpenAI chat fields this server does not serve: a request that sets one is a 400
# naming it (tools and structured output need a model tuned for them).
UNSERVED_CHAT_FIELDS = (
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
    "audio",
    "modalities",
    "prediction",
    "reasoning_effort",
    "web_search_options",
    "store",
)
# End-of-turn markers of common chat templates, used as stop strings when the
# template holds them (ChatML, Llama 3, Phi, Gemma, Llama 2, DeepSeek).
END_OF_TURN_MARKERS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "</s>", "<|EOT|>")


class TextPart(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    """One message; ``content`` is text or a list of text parts (images are refused)."""

    model_config = ConfigDict(strict=True, extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``: the sampling fields of completions, over messages."""

    model_config = ConfigDict(strict=True, extra="ignore")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=MAX_N)
    stop: str | list[str] | None = Field(None, max_length=MAX_STOP)
    seed: int | None = Field(None, ge=0, lt=2**63)
    stream: bool = False
    stream_options: StreamOptions | None = None
    presence_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    logit_bias: dict[str, float] | None = None
    user: str | None = Field(None, max_length=256)
    response_format: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_unserved(cls, data):
        refuse_unserved(data, UNSERVED_CHAT_FIELDS + FOREIGN_SAMPLING_FIELDS)
        return data

    @model_validator(mode="after")
    def _plain_text_only(self):
        if self.response_format not in (None, {"type": "text"}):
            message = "response_format: only {'type': 'text'} is supported"
            raise FieldError("response_format", message)
        return self

    def completion_request(self, prompt: str) -> CompletionRequest:
        """The same sampling as a completion of ``prompt`` (validated like one)."""
        fields = self.model_dump(
            exclude={"messages", "max_tokens", "max_completion_tokens", "response_format"},
            exclude_none=True,
        )
        max_tokens = self.max_completion_tokens or self.max_tokens
        if max_tokens is not None:
            fields["max_tokens"] = max_tokens
        try:
            return CompletionRequest.model_validate({**fields, "prompt": prompt})
        except ValidationError as error:
            problem = error.errors()[0]
            cause = problem.get("ctx", {}).get("error")
            field = cause.field if isinstance(cause, FieldError) else None
            field = field or ".".join(str(part) for part in problem["loc"]) or None
            raise RequestError(f"{field}: {problem['msg']}", param=field) from error


def render_chat(tokenizer, messages: list[ChatMessage]) -> tuple[str, tuple[str, ...]]:
    """The prompt of ``messages`` by the tokenizer's chat template, and its end-of-turn stops."""
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise RequestError(
            "This model has no chat template (its tokenizer defines none), so it cannot "
            "serve /v1/chat/completions; use /v1/completions with a plain prompt.",
            param="messages",
            code="chat_template_missing",
        )
    conversation = [{"role": m.role, "content": m.text()} for m in messages]
    try:
        prompt = tokenizer.apply_chat_template(
            conversation, tokenize=False, add_generation_prompt=True
        )
    except Exception as error:  # a template may refuse a conversation (roles out of order)
        message = f"The chat template refused the messages: {error}"
        raise RequestError(message, param="messages") from error
    stops = tuple(marker for marker in END_OF_TURN_MARKERS if marker in template)
    return prompt, stops


def chat_response(
    completion_id: str, model: str, texts: list[tuple[str, str | None]], usage: Usage
) -> dict[str, Any]:
    """A ``chat.completion`` with one assistant message per (text, finish_reason)."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": index,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": reason,
            }
            for index, (text, reason) in enumerate(texts)
        ],
        "usage": usage.model_dump(),
    }


def chat_chunk(
    completion_id: str,
    model: str,
    index: int,
    delta: dict[str, str],
    finish_reason: str | None,
    with_usage: bool = False,
) -> dict[str, Any]:
    """One ``chat.completion.chunk``: the first carries the role, the rest content deltas."""
    chunk = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        ],
    }
    if with_usage:
        chunk["usage"] = None
    return chunk
