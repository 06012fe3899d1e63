"""The OpenAI completions wire format: request validation, responses and error bodies.

Only the fields a code-completion client uses are accepted (``prompt``,
``suffix``, ``max_tokens``, ``temperature``, ``top_p``, ``n``, ``stop``,
``seed``, ``stream``), plus one extension, ``attribution`` (where a completion
comes from in the training data, and whether it carries secrets); others are
ignored, as OpenAI-compatible servers do.
Types are strict (``"max_tokens": "5"`` is an error, not a 5), and every
refusal is a 4xx in OpenAI's error shape, so clients show the message.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starcoder_data.tokens.fim import fim_prompt

__all__ = [
    "AttributionOptions",
    "ChoiceAttribution",
    "CompletionChoice",
    "CompletionRequest",
    "CompletionResponse",
    "RequestError",
    "Usage",
    "build_prompt",
    "error_body",
    "stream_chunk",
]

MAX_N = 16
MAX_STOP = 4  # OpenAI: up to 4 stop sequences
MAX_PROMPTS = 16


class RequestError(Exception):
    """A request the server refuses, with the HTTP status and OpenAI error fields."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.type = type


def error_body(message: str, *, type: str = "invalid_request_error", param=None, code=None) -> dict:
    """OpenAI's error JSON: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class AttributionOptions(BaseModel):
    """The ``attribution`` extension: what to check about each completion (off when absent)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    membership: bool = Field(
        True, description="Look the completion up in the training set's membership filter."
    )
    top_k: int = Field(
        3, ge=0, le=10, description="Training files to return, best full-text match first."
    )
    privacy: Literal["off", "flag", "redact"] = Field(
        "off",
        description="Look for emails, keys and passwords the model emitted: report them "
        "(flag) or also replace them in the text (redact).",
    )

    def needs_index(self) -> bool:
        return self.membership or self.top_k > 0


class CompletionRequest(BaseModel):
    """``POST /v1/completions``; ``suffix`` turns the request into fill-in-the-middle."""

    model_config = ConfigDict(strict=True, extra="ignore")

    model: str | None = Field(None, description="The served model's id (GET /v1/models).")
    prompt: str | Annotated[list[str], Field(min_length=1, max_length=MAX_PROMPTS)] = Field(
        description="Code to continue; with `suffix`, the code before the gap."
    )
    suffix: str | None = Field(
        None, description="Code after the gap: the completion is the middle (StarCoder FIM)."
    )
    max_tokens: int = Field(16, ge=1, description="New tokens at most (prompt + this <= context).")
    temperature: float = Field(1.0, ge=0.0, le=2.0, description="0 decodes greedily.")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=MAX_N, description="Completions per prompt.")
    stop: str | Annotated[list[str], Field(max_length=MAX_STOP)] | None = None
    seed: int | None = Field(None, ge=0, lt=2**63)
    stream: bool = False
    attribution: AttributionOptions | None = Field(
        None, description="Extension: training-data attribution and a privacy check per choice."
    )

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, stop):
        stops = [stop] if isinstance(stop, str) else stop or []
        if any(s == "" for s in stops):
            raise ValueError("stop sequences must not be empty")
        return stop

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)

    def stop_strings(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)


def build_prompt(prompt: str, suffix: str | None) -> str:
    """The model's input: ``prompt`` itself, or StarCoder's FIM prompt when ``suffix`` is set.

    StarCoder was trained on prefix-suffix-middle (PSM) documents
    ``<fim_prefix>prefix<fim_suffix>suffix<fim_middle>middle<|endoftext|>``, so
    this prompt makes the model write the middle and end it with end-of-text.
    """
    if suffix is None:
        return prompt
    return fim_prompt(prompt, suffix)


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AttributedSource(BaseModel):
    repo: str
    path: str
    license: str
    score: float
    matching_lines: list[int]  # 1-based lines of the completion found verbatim in the file


class PrivacyFinding(BaseModel):
    type: str  # EMAIL, KEY, PASSWORD, IP_ADDRESS, ...
    start: int  # character offsets in the returned text
    end: int


class ChoiceAttribution(BaseModel):
    member: bool | None = None  # None when membership was not asked for
    matched_fraction: float | None = None
    spans: list[tuple[int, int]] = []  # matched character ranges of the returned text
    sources: list[AttributedSource] = []
    privacy: list[PrivacyFinding] | None = None
    redacted: bool = False


class CompletionChoice(BaseModel):
    index: int
    text: str
    logprobs: None = None
    finish_reason: Literal["stop", "length"] | None
    attribution: ChoiceAttribution | None = None


class CompletionResponse(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage


def new_completion_id() -> str:
    return f"cmpl-{uuid.uuid4().hex}"


def stream_chunk(
    completion_id: str,
    model: str,
    index: int,
    text: str,
    finish_reason: str | None,
    attribution: ChoiceAttribution | None = None,
) -> dict[str, Any]:
    """One server-sent event's JSON: a text delta of choice ``index``.

    A choice's attribution rides on its last chunk, once its whole text is known.
    """
    choice = {"index": index, "text": text, "logprobs": None, "finish_reason": finish_reason}
    if attribution is not None:
        choice["attribution"] = attribution.model_dump()
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
    }
