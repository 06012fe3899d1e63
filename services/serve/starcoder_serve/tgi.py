"""Text Generation Inference's API: what the llm-vscode extension and ``InferenceClient`` speak.

``POST /generate`` (and ``/`` and ``/generate_stream``) take
``{"inputs": prompt, "parameters": {...}}`` and answer ``{"generated_text"}``
(with ``details`` on request), or server-sent token events whose last one
carries ``generated_text``; ``POST /tokenize`` lists ``{id, text, start, stop}``.
The parameters TGI defines that change the answer and are not served here
(``top_k``, ``repetition_penalty``, ``typical_p``, ``truncate``,
``watermark``, ``grammar``, ...) are refused with a 422 naming them, in TGI's
error shape ``{"error", "error_type"}``; others are ignored, as TGI does.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .engine import LENGTH, GenerationSequence
from .protocol import MAX_STOP, CompletionRequest, refuse_unserved

__all__ = ["TgiRequest", "finish_reason", "parse_tgi_request", "tgi_error", "token_event"]

# TGI's default when a request sets no max_new_tokens (text-generation-inference 2.x)
DEFAULT_MAX_NEW_TOKENS = 100
UNSERVED_TGI_PARAMETERS = (
    "adapter_id",
    "decoder_input_details",
    "grammar",
    "repetition_penalty",
    "top_k",
    "top_n_tokens",
    "truncate",
    "typical_p",
    "watermark",
)


class TgiError(Exception):
    """A refused TGI request: TGI answers 422 for validation errors."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


def tgi_error(message: str) -> dict[str, str]:
    return {"error": message, "error_type": "validation"}


class TgiParameters(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    max_new_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, gt=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    do_sample: bool = False
    stop: list[str] = Field([], max_length=MAX_STOP)
    seed: int | None = Field(None, ge=0, lt=2**63)
    return_full_text: bool | None = False
    details: bool = False
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    best_of: int | None = Field(None, ge=1, le=1)  # TGI: best_of > 1 needs sampling and no stream

    @model_validator(mode="before")
    @classmethod
    def _refuse_unserved(cls, data):
        refuse_unserved(data, UNSERVED_TGI_PARAMETERS)
        return data

    @property
    def samples(self) -> bool:
        """TGI samples when asked, or when a sampling setting moves off its neutral value."""
        return (
            self.do_sample or self.temperature not in (None, 1.0) or self.top_p not in (None, 1.0)
        )


class TgiRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    inputs: str = Field(min_length=1)
    parameters: TgiParameters = TgiParameters()
    stream: bool = False

    def completion_request(self) -> CompletionRequest:
        """The same generation as an OpenAI completion (greedy unless TGI would sample)."""
        p = self.parameters
        fields: dict[str, Any] = {
            "prompt": self.inputs,
            "max_tokens": p.max_new_tokens or DEFAULT_MAX_NEW_TOKENS,
            "temperature": (p.temperature or 1.0) if p.samples else 0.0,
            "top_p": p.top_p or 1.0,
            "frequency_penalty": p.frequency_penalty or 0.0,
            "logprobs": 0,  # TGI reports every token's log-probability
        }
        if p.stop:
            fields["stop"] = p.stop
        if p.seed is not None:
            fields["seed"] = p.seed
        return CompletionRequest.model_validate(fields)


def parse_tgi_request(body: bytes) -> TgiRequest:
    """Validate a TGI body; :class:`TgiError` names the first problem."""
    try:
        return TgiRequest.model_validate_json(body)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        raise TgiError(f"{where}: {message}" if where else message) from error


def finish_reason(sequence: GenerationSequence) -> Literal["length", "eos_token", "stop_sequence"]:
    if sequence.finish_reason == LENGTH:
        return "length"
    return "stop_sequence" if sequence.stopped_by_string else "eos_token"


def token_event(
    index: int,
    token_id: int,
    text: str,
    logprob: float,
    generated_text: str | None = None,
    details: dict | None = None,
) -> dict[str, Any]:
    """One TGI stream event; the last carries ``generated_text`` (and ``details``)."""
    return {
        "index": index,
        "token": {"id": token_id, "text": text, "logprob": logprob, "special": False},
        "generated_text": generated_text,
        "details": details,
        "top_tokens": None,
    }
