"""What a completion replica does, without Ray: load, validate, batch-generate, answer.

:class:`CompletionService` turns a validated :class:`CompletionRequest` into
:class:`GenerationSequence` objects (``best_of`` or ``n`` per prompt), refusing
requests the model cannot serve, and shapes the answer (``echo``, ``logprobs``,
the ``best_of`` ranking); decoding them together with other requests is
:mod:`.scheduler`'s job. The checkpoint's model family
(``starcoder_data.families``) decides the infilling prompt and the stop tokens.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from starcoder_data.families import FimUnsupportedError, ModelFamily, family_for

from .engine import BatchGenerator, GenerationSequence, SamplingParams, TokenLogprob
from .protocol import (
    CompletionChoice,
    CompletionLogprobs,
    CompletionRequest,
    CompletionResponse,
    RequestError,
    Usage,
    build_prompt,
    new_completion_id,
)

__all__ = ["CompletionService", "build_family_prompt"]

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def build_family_prompt(family: ModelFamily, prompt: str, suffix: str | None) -> str:
    """The model's input: ``prompt``, or the family's FIM prompt when ``suffix`` is set.

    Each family trained infilling with its own sentinels (StarCoder's
    ``<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>``, CodeLlama's
    ``<PRE> ... <SUF>... <MID>``, ...); a family without FIM is a 400.
    """
    try:
        return build_prompt(prompt, suffix, family)
    except FimUnsupportedError as error:
        raise RequestError(str(error), param="suffix", code="fim_unsupported") from error


class CompletionService:
    """One loaded checkpoint with its tokenizer, serving OpenAI completion requests."""

    def __init__(self, model, tokenizer, *, model_id: str):
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        vocab = tokenizer.get_vocab()
        self.family = family_for(model.config.model_type, vocab)
        end_of_text = self.family.end_of_text or tokenizer.eos_token
        self.eos_token_id = vocab.get(end_of_text, tokenizer.eos_token_id)
        self.stop_token_ids = tuple(vocab[t] for t in self.family.stop_strings(vocab))
        self.vocab_size = int(model.config.vocab_size)
        self.generator = BatchGenerator(model, pad_token_id=self.eos_token_id)
        self.created = int(time.time())
        self._token_text: dict[int, str] = {}

    @classmethod
    def from_checkpoint(
        cls,
        directory: str | Path,
        *,
        model_id: str | None = None,
        device: str = "auto",
        dtype: str = "auto",
    ) -> CompletionService:
        """Load a causal LM (a folder, or a hub id in the local cache) and its tokenizer."""
        from starcoder_model import load_model
        from starcoder_model.checkpoints import resolve_checkpoint
        from transformers import AutoTokenizer

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        folder = resolve_checkpoint(directory)
        model = load_model(folder, device=device, dtype=_DTYPES.get(dtype))
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
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

    def build_prompt(self, prompt: str, suffix: str | None) -> str:
        return build_family_prompt(self.family, prompt, suffix)

    def prepare(
        self, request: CompletionRequest, *, extra_stop: tuple[str, ...] = ()
    ) -> list[GenerationSequence]:
        """The sequences to decode for ``request``, prompt by prompt then candidate by candidate.

        Raises :class:`RequestError` for another model's id, an empty prompt
        (without ``suffix``), prompt + ``max_tokens`` beyond the context, or a
        ``logit_bias`` token outside the vocabulary. ``extra_stop`` adds stop
        strings the client did not send (a chat template's end of turn).
        """
        self.check_model(request.model)
        for token_id, _ in request.bias_pairs():
            if token_id >= self.vocab_size:
                raise RequestError(
                    f"logit_bias: token id {token_id} is outside the vocabulary "
                    f"(0..{self.vocab_size - 1}).",
                    param="logit_bias",
                )
        sequences = []
        for prompt in request.prompts():
            prompt_ids = self._prompt_ids(prompt, request)
            for choice in range(request.candidates):
                sequences.append(self._sequence(prompt_ids, request, choice, extra_stop))
        return sequences

    def check_model(self, model: str | None) -> None:
        if model is not None and model != self.model_id:
            raise RequestError(
                f"The model {model!r} does not exist; this server serves "
                f"{self.model_id!r} (GET /v1/models).",
                status=404,
                param="model",
                code="model_not_found",
            )

    def _prompt_ids(self, prompt: str, request: CompletionRequest) -> list[int]:
        if not prompt and request.suffix is None:
            raise RequestError("The prompt must not be empty.", param="prompt")
        ids = self.tokenizer(self.build_prompt(prompt, request.suffix), add_special_tokens=False)
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
        self,
        prompt_ids: list[int],
        request: CompletionRequest,
        choice: int,
        extra_stop: tuple[str, ...],
    ) -> GenerationSequence:
        # n choices of one seeded request must differ, and each must be reproducible
        seed = None if request.seed is None else (request.seed + choice) % 2**63
        logprobs = request.logprobs
        if logprobs is None and request.candidates > request.n:
            logprobs = 0  # ranking best_of needs each token's log-probability
        params = SamplingParams(
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            seed=seed,
            stop=(*request.stop_strings(), *extra_stop),
            presence_penalty=request.presence_penalty,
            frequency_penalty=request.frequency_penalty,
            logit_bias=request.bias_pairs(),
            logprobs=logprobs,
        )
        return GenerationSequence(
            prompt_ids,
            params,
            self.tokenizer,
            eos_token_id=self.eos_token_id,
            stop_token_ids=self.stop_token_ids,
            device=self.generator.device,
        )

    def generate(self, sequences: Sequence[GenerationSequence]) -> None:
        """Decode ``sequences`` to the end in this thread (no batching with other requests)."""
        for _ in self.generator.stream(sequences):
            pass

    def chosen(
        self, sequences: Sequence[GenerationSequence], request: CompletionRequest
    ) -> list[GenerationSequence]:
        """The returned ``n`` per prompt: the highest mean log-probability of ``best_of``."""
        per_prompt = request.candidates
        chosen = []
        for start in range(0, len(sequences), per_prompt):
            candidates = list(sequences[start : start + per_prompt])
            if per_prompt > request.n:
                candidates.sort(key=lambda s: s.mean_logprob, reverse=True)
            chosen.extend(candidates[: request.n])
        return chosen

    def usage(self, sequences: Sequence[GenerationSequence], per_prompt: int) -> Usage:
        """Tokens read (each prompt once) and generated (every candidate, as OpenAI bills)."""
        prompt_tokens = sum(len(s.prompt_ids) for s in sequences[::per_prompt])
        completion_tokens = sum(len(s.token_ids) for s in sequences)
        return Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )

    def response(
        self, sequences: Sequence[GenerationSequence], request: CompletionRequest
    ) -> CompletionResponse:
        """The non-streamed answer for finished ``sequences``."""
        prompts = request.prompts()
        choices = []
        for i, sequence in enumerate(self.chosen(sequences, request)):
            prompt = prompts[i // request.n]
            text, logprobs = sequence.text, None
            if request.logprobs is not None:
                logprobs = self.completion_logprobs(sequence, request.logprobs)
            if request.echo:
                text = prompt + text
                if logprobs is not None:
                    logprobs = self.echo_logprobs(sequence, prompt, request.logprobs, logprobs)
            choices.append(
                CompletionChoice(
                    index=i, text=text, logprobs=logprobs, finish_reason=sequence.finish_reason
                )
            )
        return CompletionResponse(
            id=new_completion_id(),
            created=int(time.time()),
            model=self.model_id,
            choices=choices,
            usage=self.usage(sequences, request.candidates),
        )

    def token_text(self, token_id: int) -> str:
        if token_id not in self._token_text:
            self._token_text[token_id] = self.tokenizer.decode(
                [token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False
            )
        return self._token_text[token_id]

    def returned_tokens(self, sequence: GenerationSequence, upto_chars: int | None = None) -> int:
        """How many generated tokens start inside the returned text (or its first
        ``upto_chars`` characters): tokens a stop string cut off are not returned."""
        count = min(len(sequence.offsets), len(sequence.logprobs))
        limit = len(sequence.text) if upto_chars is None else upto_chars
        return bisect.bisect_left(sequence.offsets, limit, 0, count)

    def completion_logprobs(
        self,
        sequence: GenerationSequence,
        top_k: int,
        start: int = 0,
        end: int | None = None,
        shift: int = 0,
    ) -> CompletionLogprobs:
        """OpenAI's ``logprobs`` for generated tokens ``start:end`` (offsets + ``shift``)."""
        end = self.returned_tokens(sequence) if end is None else end
        entries = [
            (sequence.token_ids[i], sequence.logprobs[i], sequence.offsets[i] + shift)
            for i in range(start, end)
        ]
        return self._logprobs(entries, top_k)

    def echo_logprobs(
        self, sequence: GenerationSequence, prompt: str, top_k: int, completion: CompletionLogprobs
    ) -> CompletionLogprobs:
        """The prompt's tokens (scored by one forward pass) before the completion's."""
        scored = self.generator.prompt_logprobs(sequence.prompt_ids, top_k)
        encoded = self.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
        offsets = [start for start, _ in encoded["offset_mapping"]]
        entries = list(zip(sequence.prompt_ids, scored, offsets, strict=True))
        prompt_part = self._logprobs(entries, top_k)
        shift = len(prompt)
        return CompletionLogprobs(
            tokens=prompt_part.tokens + completion.tokens,
            token_logprobs=prompt_part.token_logprobs + completion.token_logprobs,
            top_logprobs=prompt_part.top_logprobs + completion.top_logprobs,
            text_offset=prompt_part.text_offset + [o + shift for o in completion.text_offset],
        )

    def _logprobs(
        self, entries: list[tuple[int, TokenLogprob | None, int]], top_k: int
    ) -> CompletionLogprobs:
        logprobs = CompletionLogprobs()
        for token_id, scored, offset in entries:
            logprobs.tokens.append(self.token_text(token_id))
            logprobs.text_offset.append(offset)
            if scored is None:  # the first prompt token: nothing before it to predict it
                logprobs.token_logprobs.append(None)
                logprobs.top_logprobs.append(None)
                continue
            logprobs.token_logprobs.append(scored.logprob)
            # the drawn token is always listed, as OpenAI does (up to top_k + 1 entries)
            top = {self.token_text(i): lp for i, lp in scored.top[:top_k]}
            top.setdefault(self.token_text(token_id), scored.logprob)
            logprobs.top_logprobs.append(top)
        return logprobs
