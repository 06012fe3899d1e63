"""Completions from a local checkpoint or an OpenAI-compatible server, behind one interface.

A :class:`GenerationRequest` is a prompt (and, for infilling, a suffix) with
its stop sequences; a generator returns ``n`` raw completions per request,
already cut at the first stop sequence or special token. A local checkpoint
is read in its model family's format (:mod:`starcoder_data.families`): its
FIM prompt, and its end-of-text and stop tokens end a completion (CodeLlama's
``<EOT>`` ends an infilled middle). Both generators are
plain classes: the evaluation job runs :class:`LocalGenerator` inside Ray
actors, one model per actor, and :class:`OpenAIGenerator` in the driver.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from starcoder_data.families import ModelFamily, family_for, get_family
from starcoder_data.special_tokens import SPECIAL_TOKENS


@dataclass(frozen=True, kw_only=True)
class SamplingConfig:
    """How completions are drawn; the defaults are StarCoder's pass@1 protocol.

    BigCode's published StarCoder evaluations (the harness's ``evaluation_results.json``
    files) record ``n_samples`` 20, ``temperature`` 0.2, ``top_p`` 0.95, ``top_k`` 0.
    """

    n: int = 20  # StarCoder / BigCode harness runs: n_samples=20 for pass@1
    temperature: float = 0.2  # StarCoder: 0.2 for pass@1, 0.8 for pass@10 / pass@100
    top_p: float = 0.95  # StarCoder: nucleus sampling, top_p=0.95
    max_new_tokens: int = 512  # BigCode harness: max_length_generation 512 (prompt included)
    greedy: bool = False  # one greedy completion per problem (n is forced to 1)
    seed: int = 0
    batch_size: int = 8  # prompts per forward batch of a local model

    @property
    def samples(self) -> int:
        return 1 if self.greedy else self.n


@dataclass(frozen=True, kw_only=True)
class GenerationRequest:
    """One prompt; ``suffix`` set means fill in the middle between prompt and suffix."""

    prompt: str
    stop: tuple[str, ...] = ()
    suffix: str | None = None


class Generator(Protocol):
    def generate(
        self, requests: Sequence[GenerationRequest], config: SamplingConfig
    ) -> list[list[str]]:
        """``config.samples`` completions per request, cut at their stop sequences."""
        ...


def truncate_at_stop(
    text: str, stop: Sequence[str], special: Sequence[str] = SPECIAL_TOKENS
) -> str:
    """``text`` up to the earliest stop sequence or special token (StarCoder's by default)."""
    cut = len(text)
    for marker in (*stop, *special):
        if marker:
            index = text.find(marker)
            if index != -1:
                cut = min(cut, index)
    return text[:cut]


class LocalGenerator:
    """Batched sampling with ``transformers``' ``generate`` on one local checkpoint.

    Prompts are left-padded so every row's new tokens start at the same
    position; a prompt longer than the context keeps its last tokens.
    ``checkpoint`` is a folder or a hub id in the local Hugging Face cache.
    """

    def __init__(self, checkpoint: str | Path, *, device: str | None = None) -> None:
        from starcoder_model.checkpoints import load_model, model_positions, resolve_checkpoint
        from transformers import AutoTokenizer

        directory = resolve_checkpoint(checkpoint)
        self.model = load_model(directory, device=device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
        self.tokenizer.padding_side = "left"
        self.tokenizer.truncation_side = "left"  # a too-long prompt keeps its end
        vocab = self.tokenizer.get_vocab()
        self.family = family_for(self.model.config.model_type, vocab)
        end_of_text = self.family.end_of_text or self.tokenizer.eos_token
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = end_of_text
        self.stop_tokens = family_stop_tokens(self.family, vocab, end_of_text)
        self.special = tuple(
            dict.fromkeys(
                t
                for t in (*self.tokenizer.all_special_tokens, *self.family.special_tokens())
                if t in vocab
            )
        )
        self.context = model_positions(self.model.config)

    def generate(
        self, requests: Sequence[GenerationRequest], config: SamplingConfig
    ) -> list[list[str]]:
        results: list[list[str]] = []
        for start in range(0, len(requests), config.batch_size):
            batch = requests[start : start + config.batch_size]
            results.extend(self._generate_batch(batch, config, seed=config.seed + start))
        return results

    def _generate_batch(
        self, batch: Sequence[GenerationRequest], config: SamplingConfig, *, seed: int
    ) -> list[list[str]]:
        import torch

        texts = [_model_prompt(r, self.family) for r in batch]
        max_new = min(config.max_new_tokens, self.context // 2)
        encoded = self.tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.context - max_new,
        )
        encoded = {k: v.to(self.model.device) for k, v in encoded.items()}
        stops = sorted({s for r in batch for s in r.stop if s} | set(self.stop_tokens))
        torch.manual_seed(seed)
        sampling = {} if config.greedy else {"temperature": config.temperature}
        with torch.no_grad():
            output = self.model.generate(
                **encoded,
                do_sample=not config.greedy,
                top_p=None if config.greedy else config.top_p,
                num_return_sequences=config.samples,
                max_new_tokens=max_new,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=self.tokenizer.convert_tokens_to_ids(list(self.stop_tokens)),
                stop_strings=stops,
                tokenizer=self.tokenizer,
                **sampling,
            )
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        decoded = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=False)
        per_request = config.samples
        return [
            [
                truncate_at_stop(text, request.stop, self.special)
                for text in decoded[i * per_request : (i + 1) * per_request]
            ]
            for i, request in enumerate(batch)
        ]


def family_stop_tokens(family: ModelFamily, vocab, end_of_text: str | None) -> tuple[str, ...]:
    """The tokens that end a generation: end-of-text, then the family's stop tokens in ``vocab``."""
    first = (end_of_text,) if end_of_text and end_of_text in vocab else ()
    return tuple(dict.fromkeys((*first, *family.stop_strings(vocab))))


def fim_prompt(prefix: str, suffix: str, family: ModelFamily | None = None) -> str:
    """The infilling prompt of ``family`` (StarCoder's by default): the model writes the middle.

    A family without FIM raises ``FimUnsupportedError``.
    """
    return (family or get_family("starcoder")).fim_prompt(prefix, suffix)


def _model_prompt(request: GenerationRequest, family: ModelFamily) -> str:
    if request.suffix is None:
        return request.prompt
    return fim_prompt(request.prompt, request.suffix, family)


class OpenAIGenerator:
    """Completions through an OpenAI-compatible ``POST /v1/completions`` (the serve app's).

    Infilling sends the suffix as ``suffix``. At most ``max_stop`` stop sequences
    go to the server (OpenAI's API takes four); every one is applied here as
    well. More than ``max_n`` samples of a prompt are asked for in several
    requests with distinct seeds. ``model=None`` uses the server's first model
    (``GET /v1/models``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str = "EMPTY",
        concurrency: int = 8,
        max_stop: int = 4,
        max_n: int = 16,
        timeout_s: float = 600.0,
        client=None,
    ) -> None:
        if client is None:
            from openai import OpenAI

            client = OpenAI(base_url=base_url, api_key=api_key, max_retries=2, timeout=timeout_s)
        self.client = client
        self.model = model
        self.concurrency = concurrency
        self.max_stop = max_stop
        self.max_n = max_n
        self.too_long = 0  # requests the server refused: prompt + max_tokens over its context

    def served_model(self) -> str:
        if self.model is None:
            self.model = self.client.models.list().data[0].id
        return self.model

    def request_arguments(
        self,
        request: GenerationRequest,
        config: SamplingConfig,
        *,
        n: int | None = None,
        part: int = 0,
    ) -> dict:
        """The keyword arguments of ``client.completions.create`` for one request."""
        arguments = {
            "model": self.served_model(),
            "prompt": request.prompt,
            "max_tokens": config.max_new_tokens,
            "temperature": 0.0 if config.greedy else config.temperature,
            "top_p": 1.0 if config.greedy else config.top_p,
            "n": n or config.samples,
            "seed": config.seed + part,
        }
        if request.stop:
            arguments["stop"] = list(request.stop[: self.max_stop])
        if request.suffix is not None:
            arguments["suffix"] = request.suffix
        return arguments

    def generate(
        self, requests: Sequence[GenerationRequest], config: SamplingConfig
    ) -> list[list[str]]:
        parts = [
            (index, part, min(self.max_n, config.samples - start))
            for index in range(len(requests))
            for part, start in enumerate(range(0, config.samples, self.max_n))
        ]

        def one(job: tuple[int, int, int]) -> list[str]:
            index, part, n = job
            request = requests[index]
            arguments = self.request_arguments(request, config, n=n, part=part)
            try:
                response = self.client.completions.create(**arguments)
            except BadRequestError as error:
                if error.code != "context_length_exceeded":
                    raise
                # The local path keeps a long prompt's end; a server cannot be asked to,
                # so such a problem gets empty completions (they fail) and is counted.
                self.too_long += 1
                return [""] * n
            choices = sorted(response.choices, key=lambda choice: choice.index)
            return [truncate_at_stop(choice.text, request.stop) for choice in choices]

        from openai import BadRequestError

        refused_before = self.too_long
        self.served_model()
        results: list[list[str]] = [[] for _ in requests]
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            for (index, _, _), texts in zip(parts, pool.map(one, parts), strict=True):
                results[index].extend(texts)
        if self.too_long > refused_before:
            warnings.warn(
                f"{self.too_long - refused_before} requests exceeded the served model's context "
                "and were scored with empty completions",
                stacklevel=2,
            )
        return results
