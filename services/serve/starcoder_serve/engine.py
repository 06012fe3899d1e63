"""Batched text generation with a KV cache, in plain PyTorch (no Ray, no HTTP).

One call to :meth:`BatchGenerator.stream` decodes several requests together:
the prompts are left-padded into one batch (attention mask + position ids keep
the padding invisible, so a prompt decodes as it would alone), the prompt pass
fills a ``DynamicCache``, and each step feeds one token per row. Every row has
its own sampling settings and its own ``torch.Generator``, so a seeded request
draws the same tokens whatever it is batched with. A row leaves the batch (its
cache rows are dropped) as soon as it finishes, so long requests do not pay
for the short ones' finished rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "BatchGenerator",
    "DecodeBatch",
    "GenerationSequence",
    "SamplingParams",
    "TokenLogprob",
]

# Below this temperature sampling is greedy in effect, and dividing by it overflows float32.
GREEDY_BELOW = 1e-5
STOP = "stop"
LENGTH = "length"
ABORT = "abort"


@dataclass(frozen=True, kw_only=True)
class SamplingParams:
    """How one sequence is decoded (the OpenAI completion fields of the same names)."""

    max_tokens: int = 16
    temperature: float = 1.0  # 0: greedy
    top_p: float = 1.0  # nucleus sampling (Holtzman et al. 2019); 1.0 keeps every token
    seed: int | None = None  # same seed, same prompt, same settings: same tokens
    stop: tuple[str, ...] = ()  # the text ends before the first of these
    # OpenAI's penalties on tokens already generated: logit -= frequency * count + presence
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: tuple[tuple[int, float], ...] = ()  # (token id, added to its logit)
    # None: no log-probabilities; k >= 0: each token's log-probability and the top k
    logprobs: int | None = None

    @property
    def adjusts_logits(self) -> bool:
        return bool(self.presence_penalty or self.frequency_penalty or self.logit_bias)


@dataclass(frozen=True)
class TokenLogprob:
    """A drawn token's log-probability under the model, and the ``k`` most likely tokens'."""

    logprob: float
    top: tuple[tuple[int, float], ...]  # (token id, log-probability), most likely first


class GenerationSequence:
    """One sequence being generated: its tokens, its text so far and why it ended.

    Text is decoded from all generated tokens at each step (byte-level BPE may
    split a character over tokens, so a trailing replacement character is held
    back), and so is any tail that could still grow into a stop string: what
    :meth:`push` returns is final and never needs to be taken back.
    """

    def __init__(
        self,
        prompt_ids: Sequence[int],
        params: SamplingParams,
        tokenizer: PreTrainedTokenizerBase,
        *,
        eos_token_id: int,
        stop_token_ids: Collection[int] = (),
        device: torch.device | str = "cpu",
    ):
        self.prompt_ids = list(prompt_ids)
        self.params = params
        self.tokenizer = tokenizer
        self.eos_token_id = eos_token_id
        # end-of-text and the family's other stop tokens end the text without showing
        self.stop_token_ids = frozenset((eos_token_id, *stop_token_ids))
        self.stopped_by_string = False  # a stop string (not a stop token) ended the text
        self.token_ids: list[int] = []
        # per generated token when params.logprobs is set: its log-probability and the
        # character offset where its text starts (before any stop string cut the text)
        self.logprobs: list[TokenLogprob] = []
        self.offsets: list[int] = []
        # every drawn token's log-probability, end-of-text included (ranks best_of)
        self.cumulative_logprob = 0.0
        self.drawn = 0
        self.text = ""
        self.emitted = 0
        self.finish_reason: str | None = LENGTH if params.max_tokens <= 0 else None
        self.generator = _generator(params.seed, device) if self.samples else None

    @property
    def samples(self) -> bool:
        """Whether tokens are drawn (else the most likely token is taken)."""
        return self.params.temperature >= GREEDY_BELOW

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def cancel(self) -> None:
        """Stop generating (the client went away); the batch drops the row at its next step."""
        if self.finish_reason is None:
            self.finish_reason = ABORT

    @property
    def mean_logprob(self) -> float:
        """Mean log-probability of the drawn tokens (``best_of`` keeps the highest)."""
        return self.cumulative_logprob / self.drawn if self.drawn else 0.0

    def push(self, token_id: int, logprob: TokenLogprob | None = None) -> str:
        """Append a generated token; return the new text that is now final."""
        if logprob is not None:
            self.cumulative_logprob += logprob.logprob
            self.drawn += 1
        if token_id in self.stop_token_ids:
            self.finish_reason = STOP
        else:
            if logprob is not None:
                self.logprobs.append(logprob)
                self.offsets.append(len(self.text))
            self.token_ids.append(token_id)
            self.text = self.tokenizer.decode(
                self.token_ids, skip_special_tokens=False, clean_up_tokenization_spaces=False
            )
            self._apply_stop_strings()
            if not self.finished and len(self.token_ids) >= self.params.max_tokens:
                self.finish_reason = LENGTH
        end = len(self.text) if self.finished else self._final_length()
        delta = self.text[self.emitted : end]
        self.emitted = max(self.emitted, end)
        return delta

    def _apply_stop_strings(self) -> None:
        hits = [i for i in (self.text.find(s) for s in self.params.stop if s) if i >= 0]
        if hits:
            self.text = self.text[: min(hits)]
            self.finish_reason = STOP
            self.stopped_by_string = True

    def _final_length(self) -> int:
        """Length of the text that no later token can change."""
        end = len(self.text)
        if self.text.endswith("\ufffd"):  # an unfinished UTF-8 character
            end = len(self.text.rstrip("\ufffd"))
        held = 0
        for stop in self.params.stop:
            for k in range(min(len(stop) - 1, end), held, -1):
                if self.text[end - k : end] == stop[:k]:
                    held = k
                    break
        return end - held


def _generator(seed: int | None, device: torch.device | str) -> torch.Generator:
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def sample_tokens(logits: torch.Tensor, sequences: Sequence[GenerationSequence]) -> list[int]:
    """One next token per row of ``logits`` ``[rows, vocab]``, by each row's own settings."""
    if any(s.params.adjusts_logits for s in sequences):
        logits = logits.clone()
        for row, sequence in enumerate(sequences):
            if sequence.params.adjusts_logits:
                logits[row] = adjust_logits(logits[row], sequence)
    tokens = logits.argmax(dim=-1).tolist()  # greedy rows need nothing more
    for row, sequence in enumerate(sequences):
        if sequence.samples:
            tokens[row] = _sample(logits[row], sequence.params, sequence.generator)
    return tokens


def adjust_logits(logits: torch.Tensor, sequence: GenerationSequence) -> torch.Tensor:
    """OpenAI's presence/frequency penalties over the generated tokens, then ``logit_bias``.

    ``logits[j] -= frequency_penalty * count[j] + presence_penalty * (count[j] > 0)``,
    counting only the completion's tokens (not the prompt's), as OpenAI documents.
    """
    params = sequence.params
    logits = logits.float()
    if sequence.token_ids and (params.presence_penalty or params.frequency_penalty):
        ids = torch.tensor(sequence.token_ids, device=logits.device)
        counts = torch.bincount(ids, minlength=logits.shape[-1])[: logits.shape[-1]].float()
        logits = logits - params.frequency_penalty * counts
        logits = logits - params.presence_penalty * (counts > 0).float()
    if params.logit_bias:
        ids = torch.tensor([i for i, _ in params.logit_bias], device=logits.device)
        bias = torch.tensor([b for _, b in params.logit_bias], device=logits.device)
        logits = logits.index_add(0, ids, bias)
    return logits


def token_logprobs(
    logits: torch.Tensor, tokens: Sequence[int], sequences: Sequence[GenerationSequence]
) -> list[TokenLogprob | None]:
    """Each drawn token's log-probability under the model (before temperature, top_p,
    penalties and bias), with the row's top ``k``; None for rows that did not ask."""
    rows = [row for row, s in enumerate(sequences) if s.params.logprobs is not None]
    found: list[TokenLogprob | None] = [None] * len(sequences)
    if not rows:
        return found
    logprobs = torch.log_softmax(logits[rows].float(), dim=-1)
    k = max(sequences[row].params.logprobs for row in rows)
    top_values, top_ids = logprobs.topk(k, dim=-1) if k else (None, None)
    for i, row in enumerate(rows):
        wanted = sequences[row].params.logprobs
        top = ()
        if wanted:
            pairs = zip(top_ids[i, :wanted].tolist(), top_values[i, :wanted].tolist(), strict=True)
            top = tuple(pairs)
        found[row] = TokenLogprob(float(logprobs[i, tokens[row]]), top)
    return found


def _sample(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> int:
    logits = logits.float()
    # subtracting the maximum first keeps a tiny temperature finite (the top token -> 0)
    probs = torch.softmax((logits - logits.max()) / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        # drop a token when the more likely ones already reach top_p (the first always stays)
        drop = sorted_probs.cumsum(-1) - sorted_probs >= params.top_p
        drop[0] = False  # a top_p below float32's smallest number still keeps one token
        sorted_probs[drop] = 0.0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=generator))


class BatchGenerator:
    """Generates for a batch of :class:`GenerationSequence` with one model and a KV cache."""

    def __init__(self, model: PreTrainedModel, *, pad_token_id: int):
        self.model = model
        self.pad_token_id = pad_token_id

    @property
    def context_length(self) -> int:
        """Prompt plus generated tokens a sequence may hold (``n_positions``; other
        families call it ``max_position_embeddings``)."""
        config = self.model.config
        return int(getattr(config, "n_positions", None) or config.max_position_embeddings)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def stream(self, sequences: Sequence[GenerationSequence]) -> Iterator[list[str]]:
        """Yield, step by step, each sequence's new final text ("" when none or finished).

        Ends when every sequence has finished (end of text, a stop string, or
        ``max_tokens``). ``sequences`` are updated in place.
        """
        batch = DecodeBatch(self)
        batch.admit([s for s in sequences if not s.finished])
        position = {id(s): i for i, s in enumerate(sequences)}
        while batch:
            deltas = [""] * len(sequences)
            for sequence, delta in batch.step():
                deltas[position[id(sequence)]] = delta
            yield deltas

    def forward(self, input_ids, mask, positions, cache) -> torch.Tensor:
        """Next-token logits ``[rows, vocab]`` after ``input_ids``, extending ``cache``."""
        output = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
        )
        return output.logits[:, -1, :]

    @torch.inference_mode()
    def prompt_logprobs(self, prompt_ids: Sequence[int], top_k: int) -> list[TokenLogprob | None]:
        """Each prompt token's log-probability given the tokens before it (None for the
        first, which has no context): what ``echo`` with ``logprobs`` returns."""
        ids = torch.tensor([list(prompt_ids)], device=self.device)
        logits = self.model(input_ids=ids, use_cache=False).logits[0, :-1]
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        found: list[TokenLogprob | None] = [None]
        top_values, top_ids = logprobs.topk(top_k, dim=-1) if top_k else (None, None)
        for position, token in enumerate(prompt_ids[1:]):
            top = ()
            if top_k:
                pairs = zip(top_ids[position].tolist(), top_values[position].tolist(), strict=True)
                top = tuple(pairs)
            found.append(TokenLogprob(float(logprobs[position, token]), top))
        return found

    def left_pad(self, prompts: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompts right-aligned in one ``[rows, width]`` batch, with their attention mask."""
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):
            ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
            mask[row, width - len(prompt) :] = 1
        return ids.to(self.device), mask.to(self.device)


class DecodeBatch:
    """The rows being decoded, their KV cache, and the logits of their next token.

    Rows join at any step (:meth:`admit`: their prompts run as one prefill,
    then cache and mask are left-padded to a common length and stacked under
    the running rows) and leave as soon as they finish, so a server can keep
    one batch running while requests come and go (continuous batching).
    """

    def __init__(self, generator: BatchGenerator):
        self.generator = generator
        self.rows: list[GenerationSequence] = []
        self.cache: DynamicCache | None = None
        self.mask: torch.Tensor | None = None  # [rows, cache length]
        self.last_positions: torch.Tensor | None = None  # [rows]
        self.logits: torch.Tensor | None = None  # [rows, vocab]

    def __len__(self) -> int:
        return len(self.rows)

    @torch.inference_mode()
    def admit(self, sequences: Sequence[GenerationSequence]) -> None:
        """Prefill ``sequences`` and add them to the batch."""
        if not sequences:
            return
        ids, mask = self.generator.left_pad([s.prompt_ids for s in sequences])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache(config=self.generator.model.config)
        logits = self.generator.forward(ids, mask, positions, cache)
        if not self.rows:
            self.cache, self.mask, self.logits = cache, mask, logits
            self.last_positions = positions[:, -1]
        else:
            width = max(self.mask.shape[1], mask.shape[1])
            self.mask = torch.cat([_pad_left(self.mask, width), _pad_left(mask, width)])
            for running, new in zip(self.cache.layers, cache.layers, strict=True):
                running.keys = torch.cat(
                    [_pad_left(running.keys, width), _pad_left(new.keys, width)]
                )
                running.values = torch.cat(
                    [_pad_left(running.values, width), _pad_left(new.values, width)]
                )
            self.last_positions = torch.cat([self.last_positions, positions[:, -1]])
            self.logits = torch.cat([self.logits, logits])
        self.rows.extend(sequences)

    @torch.inference_mode()
    def step(self) -> list[tuple[GenerationSequence, str]]:
        """Draw one token for every row; return each row's new final text.

        Rows finished from outside (a cancelled request) leave first; rows
        that finish now leave after; the rest run one forward pass for the
        next step's logits.
        """
        self._keep([row for row, s in enumerate(self.rows) if not s.finished])
        if not self.rows:
            return []
        tokens = sample_tokens(self.logits, self.rows)
        logprobs = token_logprobs(self.logits, tokens, self.rows)
        updates = [
            (s, s.push(token, logprob))
            for s, token, logprob in zip(self.rows, tokens, logprobs, strict=True)
        ]
        keep = [row for row, s in enumerate(self.rows) if not s.finished]
        self._keep(keep)
        if self.rows:
            self.mask = torch.cat([self.mask, self.mask.new_ones((len(self.rows), 1))], dim=1)
            self.last_positions = self.last_positions + 1
            next_ids = torch.tensor([tokens[row] for row in keep], device=self.mask.device)
            self.logits = self.generator.forward(
                next_ids.unsqueeze(1), self.mask, self.last_positions.unsqueeze(1), self.cache
            )
        return updates

    def _keep(self, keep: list[int]) -> None:
        """Keep only rows ``keep`` and cut padding columns no remaining row needs."""
        if len(keep) == len(self.rows):
            return
        self.rows = [self.rows[row] for row in keep]
        if not keep:
            self.cache = self.mask = self.last_positions = self.logits = None
            return
        index = torch.tensor(keep, device=self.mask.device)
        self.cache.batch_select_indices(index)
        self.mask, self.last_positions = self.mask[index], self.last_positions[index]
        self.logits = self.logits[index]
        start = int((self.mask.sum(0) == 0).long().cumprod(0).sum())  # all-padding columns
        if start:
            self.mask = self.mask[:, start:]
            for layer in self.cache.layers:
                layer.keys = layer.keys[..., start:, :]
                layer.values = layer.values[..., start:, :]


def _pad_left(tensor: torch.Tensor, width: int) -> torch.Tensor:
    """Zeros on the left of the sequence axis (last for a mask, -2 for keys/values)."""
    missing = width - (tensor.shape[1] if tensor.dim() == 2 else tensor.shape[-2])
    if missing == 0:
        return tensor
    pad = (missing, 0) if tensor.dim() == 2 else (0, 0, missing, 0)
    return torch.nn.functional.pad(tensor, pad)
