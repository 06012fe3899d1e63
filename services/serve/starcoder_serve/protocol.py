"""The OpenAI completions wire format: request validation, responses and error bodies.

Every field of OpenAI's completions request is served (``logprobs``, ``echo``,
``best_of``, the penalties and ``logit_bias`` included), plus one extension,
``attribution`` (where a completion comes from in the training data, and
whether it carries secrets). Nothing that changes the answer is accepted and
then ignored: a field OpenAI defines that we do not serve, or a sampling field
of another server (``top_k``, ``repetition_penalty``, ...), is a 400 naming it;
fields nobody defines (a client's own bookkeeping) are ignored.
Types are strict (``"max_tokens": "5"`` is an error, not a 5), and every
refusal is a 4xx in OpenAI's error shape, so clients show the message.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starcoder_data.families import ModelFamily, get_family

__all__ = [
    "AttributionOptions",
    "ChoiceAttribution",
    "CompletionChoice",
    "CompletionLogprobs",
    "CompletionRequest",
    "CompletionResponse",
    "FieldError",
    "RequestError",
    "StreamOptions",
    "Usage",
    "build_prompt",
    "error_body",
    "stream_chunk",
]

MAX_N = 16
# OpenAI allows 4 stop sequences; editors send more (Continue sends all of its
# stop words at once), and each costs only a substring search per step.
MAX_STOP = 64
MAX_PROMPTS = 16
MAX_LOGPROBS = 5  # OpenAI's limit for the completions API's `logprobs`
# Sampling fields of other servers (vLLM, TGI, llama.cpp): ignoring one would
# silently change the answer, so a request that sets one is refused.
FOREIGN_SAMPLING_FIELDS = (
    "top_k",
    "min_p",
    "typical_p",
    "repetition_penalty",
    "min_tokens",
    "ignore_eos",
    "use_beam_search",
    "length_penalty",
    "guided_json",
    "guided_regex",
    "grammar",
)


class FieldError(ValueError):
    """A request-level validation error about one field (the error's ``param``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def refuse_unserved(data: Any, fields: tuple[str, ...]) -> None:
    """Raise a :class:`FieldError` naming the first of ``fields`` that ``data`` sets.

    ``None``, ``false``, ``0`` of a neutral value and empty containers count as
    unset, as clients often send defaults explicitly.
    """
    if not isinstance(data, dict):
        return
    for name in fields:
        value = data.get(name)
        if value not in (None, False, [], {}, ""):
            raise FieldError(name, f"`{name}` is not supported by this server; remove it")


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


class StreamOptions(BaseModel):
    """OpenAI's ``stream_options``: ``include_usage`` adds a last chunk with ``usage``."""

    model_config = ConfigDict(strict=True, extra="ignore")

    include_usage: bool = False


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
    max_tokens: int = Field(
        16, ge=0, description="New tokens at most (prompt + this <= context); 0 only with echo."
    )
    temperature: float = Field(1.0, ge=0.0, le=2.0, description="0 decodes greedily.")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=MAX_N, description="Completions per prompt.")
    stop: str | Annotated[list[str], Field(max_length=MAX_STOP)] | None = Field(
        None, description=f"Up to {MAX_STOP} strings; the text ends before the first."
    )
    seed: int | None = Field(None, ge=0, lt=2**63)
    stream: bool = False
    stream_options: StreamOptions | None = None
    logprobs: int | None = Field(
        None,
        ge=0,
        le=MAX_LOGPROBS,
        description="Each token's log-probability and the top k alternatives' (0: none).",
    )
    echo: bool = Field(False, description="Return the prompt before the completion.")
    best_of: int | None = Field(
        None,
        ge=1,
        le=MAX_N,
        description="Candidates per prompt; the n with the highest mean log-probability return.",
    )
    presence_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    logit_bias: dict[str, Annotated[float, Field(ge=-100.0, le=100.0)]] | None = Field(
        None, description="Token id (as a string) -> added to its logit, -100 to 100."
    )
    user: str | None = Field(
        None, max_length=256, description="An end-user id, written to the replica's log."
    )
    attribution: AttributionOptions | None = Field(
        None, description="Extension: training-data attribution and a privacy check per choice."
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_foreign_fields(cls, data):
        refuse_unserved(data, FOREIGN_SAMPLING_FIELDS)
        return data

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, stop):
        stops = [stop] if isinstance(stop, str) else stop or []
        if any(s == "" for s in stops):
            raise ValueError("stop sequences must not be empty")
        return stop

    @field_validator("logit_bias")
    @classmethod
    def _token_ids(cls, bias):
        for key in bias or {}:
            if not (key.isascii() and key.isdigit()):
                raise ValueError(f"logit_bias keys are token ids, got {key!r}")
        return bias

    @model_validator(mode="after")
    def _consistent(self):
        if self.max_tokens == 0 and not self.echo:
            raise FieldError("max_tokens", "max_tokens must be at least 1 (0 only with echo)")
        if self.echo and self.suffix is not None:
            raise FieldError("echo", "echo is not supported with suffix (fill-in-the-middle)")
        if self.best_of is not None and self.best_of < self.n:
            raise FieldError("best_of", "best_of must be at least n")
        if self.stream and self.best_of is not None and self.best_of > self.n:
            raise FieldError("best_of", "best_of greater than n cannot be streamed")
        if self.stream_options is not None and not self.stream:
            raise FieldError("stream_options", "stream_options is only allowed with stream: true")
        return self

    @property
    def candidates(self) -> int:
        """Sequences decoded per prompt: ``best_of`` (default ``n``)."""
        return self.best_of or self.n

    def bias_pairs(self) -> tuple[tuple[int, float], ...]:
        return tuple((int(k), v) for k, v in (self.logit_bias or {}).items())

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)

    def stop_strings(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)


def build_prompt(prompt: str, suffix: str | None, family: ModelFamily | None = None) -> str:
    """The model's input: ``prompt`` itself, or the family's FIM prompt when ``suffix`` is set.

    StarCoder (the default family) was trained on prefix-suffix-middle (PSM)
    documents ``<fim_prefix>prefix<fim_suffix>suffix<fim_middle>middle<|endoftext|>``,
    so this prompt makes the model write the middle and end it with end-of-text;
    other families spell it with their own sentinels (``starcoder_data.families``).
    """
    if suffix is None:
        return prompt
    return (family or get_family("starcoder")).fim_prompt(prompt, suffix)


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


class CompletionLogprobs(BaseModel):
    """OpenAI's completions ``logprobs``: one entry per returned token."""

    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    top_logprobs: list[dict[str, float] | None] = []
    text_offset: list[int] = []


class CompletionChoice(BaseModel):
    index: int
    text: str
    logprobs: CompletionLogprobs | None = None
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
    logprobs: CompletionLogprobs | None = None,
    with_usage: bool = False,
) -> dict[str, Any]:
    """One server-sent event's JSON: a text delta of choice ``index``.

    A choice's attribution rides on its last chunk, once its whole text is known.
    With ``stream_options.include_usage`` every chunk has ``"usage": null`` and
    :func:`usage_chunk` comes last, as OpenAI sends them.
    """
    choice = {
        "index": index,
        "text": text,
        "logprobs": None if logprobs is None else logprobs.model_dump(),
        "finish_reason": finish_reason,
    }
    if attribution is not None:
        choice["attribution"] = attribution.model_dump()
    chunk = {
        "id": completion_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
    }
    if with_usage:
        chunk["usage"] = None
    return chunk


def usage_chunk(completion_id: str, model: str, usage: Usage) -> dict[str, Any]:
    """The last chunk of a stream with ``include_usage``: no choices, the whole usage."""
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [],
        "usage": usage.model_dump(),
    }
