"""What a completion replica does, without Ray: load, validate, batch-generate, answer.

:class:`CompletionService` turns a validated :class:`CompletionRequest` into
:class:`GenerationSequence` objects (one per prompt and choice), refusing
requests the model cannot serve, and shapes the answer; decoding them together
with other requests is :mod:`.scheduler`'s job.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import torch
from starcoder_data.special_tokens import ENDOFTEXT, SPECIAL_TOKENS

from .engine import BatchGenerator, GenerationSequence, SamplingParams
from .protocol import (
    CompletionChoice,
    CompletionRequest,
    CompletionResponse,
    RequestError,
    Usage,
    build_prompt,
    new_completion_id,
)

__all__ = ["CompletionService"]

EOS_TOKEN_ID = SPECIAL_TOKENS.index(ENDOFTEXT)
_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class CompletionService:
    """One loaded checkpoint with its tokenizer, serving OpenAI completion requests."""

    def __init__(self, model, tokenizer, *, model_id: str):
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.generator = BatchGenerator(model, pad_token_id=EOS_TOKEN_ID)
        self.created = int(time.time())

    @classmethod
    def from_checkpoint(
        cls,
        directory: str | Path,
        *,
        model_id: str | None = None,
        device: str = "auto",
        dtype: str = "auto",
    ) -> CompletionService:
        """Load a local GPTBigCode checkpoint (ours or StarCoder's) and its tokenizer."""
        from starcoder_model import load_model
        from transformers import AutoTokenizer

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        model = load_model(directory, device=device, dtype=_DTYPES.get(dtype))
        tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        return cls(model, tokenizer, model_id=model_id or Path(directory).resolve().name)

    @property
    def context_length(self) -> int:
        return self.generator.context_length

    def model_card(self) -> dict:
        """The entry of ``GET /v1/models``."""
        return {
            "id": self.model_id,
            "object": "model",
            "created": self.created,
            "owned_by": "starcoder-ray",
            "max_model_len": self.context_length,
        }

    def prepare(self, request: CompletionRequest) -> list[GenerationSequence]:
        """The sequences to decode for ``request``, prompt by prompt then choice by choice.

        Raises :class:`RequestError` for another model's id, an empty prompt
        (without ``suffix``), or prompt + ``max_tokens`` beyond the context.
        """
        if request.model is not None and request.model != self.model_id:
            raise RequestError(
                f"The model {request.model!r} does not exist; this server serves "
                f"{self.model_id!r} (GET /v1/models).",
                status=404,
                param="model",
                code="model_not_found",
            )
        sequences = []
        for prompt in request.prompts():
            prompt_ids = self._prompt_ids(prompt, request)
            for choice in range(request.n):
                sequences.append(self._sequence(prompt_ids, request, choice))
        return sequences

    def _prompt_ids(self, prompt: str, request: CompletionRequest) -> list[int]:
        if not prompt and request.suffix is None:
            raise RequestError("The prompt must not be empty.", param="prompt")
        ids = self.tokenizer(build_prompt(prompt, request.suffix), add_special_tokens=False)
        ids = ids["input_ids"]
        total = len(ids) + request.max_tokens
        if total > self.context_length:
            raise RequestError(
                f"This model's maximum context length is {self.context_length} tokens, "
                f"however you requested {total} tokens ({len(ids)} in your prompt; "
                f"{request.max_tokens} for the completion). Please reduce your prompt "
                "or max_tokens.",
                param="max_tokens",
                code="context_length_exceeded",
            )
        return ids

    def _sequence(
        self, prompt_ids: list[int], request: CompletionRequest, choice: int
    ) -> GenerationSequence:
        # n choices of one seeded request must differ, and each must be reproducible
        seed = None if request.seed is None else (request.seed + choice) % 2**63
        params = SamplingParams(
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            seed=seed,
            stop=request.stop_strings(),
        )
        return GenerationSequence(
            prompt_ids,
            params,
            self.tokenizer,
            eos_token_id=EOS_TOKEN_ID,
            device=self.generator.device,
        )

    def generate(self, sequences: Sequence[GenerationSequence]) -> None:
        """Decode ``sequences`` to the end in this thread (no batching with other requests)."""
        for _ in self.generator.stream(sequences):
            pass

    def response(self, sequences: Sequence[GenerationSequence], n: int) -> CompletionResponse:
        """The non-streamed answer for finished ``sequences`` (``n`` choices per prompt)."""
        prompt_tokens = sum(len(s.prompt_ids) for s in sequences[::n])
        completion_tokens = sum(len(s.token_ids) for s in sequences)
        return CompletionResponse(
            id=new_completion_id(),
            created=int(time.time()),
            model=self.model_id,
            choices=[
                CompletionChoice(index=i, text=s.text, finish_reason=s.finish_reason)
                for i, s in enumerate(sequences)
            ],
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            ),
        )
