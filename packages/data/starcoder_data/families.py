"""The model families a team fine-tunes, evaluates and serves, and what differs between them.

StarCoder's users move between code models whose checkpoints all load as
``transformers`` causal LMs but whose *text formats* differ: each family
trained fill-in-the-middle with its own sentinel tokens, ends documents with
its own end-of-text token and stops on its own set of tokens. The FIM
transform of training, the API's ``suffix`` and the FIM benchmark must all
use the served model's format, so :data:`FAMILIES` below is the one place it
is written (docs/models.md shows it as a table): StarCoder and StarCoder2
(``<fim_prefix>`` ...), CodeLlama (``<PRE> <SUF> <MID>``, the middle ends with
``<EOT>``), DeepSeek-Coder (``<｜fim▁begin｜>`` ...) and Qwen2.5-Coder
(``<|fim_prefix|>`` ...).

A checkpoint's family is found from its ``model_type`` and its vocabulary
(:func:`family_for`): DeepSeek-Coder and CodeLlama are both ``llama``, told
apart by their sentinels. A causal LM of none of these families still loads
and serves plain completions; it has no FIM format, and asking it for one is
an error rather than a prompt it never saw in training.

Sources: the model cards and tokenizers of bigcode/starcoder,
bigcode/starcoder2-*, codellama/CodeLlama-*-hf (Rozière et al. 2023, section
2.3), deepseek-ai/deepseek-coder-*-base and Qwen/Qwen2.5-Coder-*.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from .special_tokens import ENDOFTEXT, FIM_MIDDLE, FIM_PAD, FIM_PREFIX, FIM_SUFFIX

__all__ = [
    "FAMILIES",
    "FimFormat",
    "FimUnsupportedError",
    "ModelFamily",
    "attention_kernels",
    "checkpoint_family",
    "family_for",
    "get_family",
]


class FimUnsupportedError(ValueError):
    """Fill-in-the-middle was asked of a model whose family never trained it."""


@dataclass(frozen=True, kw_only=True)
class FimFormat:
    """A family's FIM sentinels and how its infilling prompt is spelled.

    ``prompt_template`` is the PSM prompt as text (the model writes the middle
    next); training lays the same sentinels out by id (``starcoder_data.tokens.fim``).
    CodeLlama's template keeps the spaces its SentencePiece tokenizer puts
    around the sentinels; the others put nothing between sentinel and code.
    """

    prefix: str
    suffix: str
    middle: str
    prompt_template: str = "{prefix_token}{prefix}{suffix_token}{suffix}{middle_token}"
    end_of_middle: str | None = None  # the token that ends an infilled middle, if not end-of-text
    # the token training pads a FIM sample to its length with (Megatron: <fim_pad>);
    # None, or a tokenizer without it: the end-of-text token pads
    pad: str | None = None

    @property
    def sentinels(self) -> tuple[str, str, str]:
        return self.prefix, self.suffix, self.middle

    def prompt(self, prefix: str, suffix: str) -> str:
        """The PSM infilling prompt: the model writes the middle, then its end token."""
        return self.prompt_template.format(
            prefix_token=self.prefix,
            suffix_token=self.suffix,
            middle_token=self.middle,
            prefix=prefix,
            suffix=suffix,
        )


@dataclass(frozen=True, kw_only=True)
class ModelFamily:
    """One row of the table: how a family's checkpoints read, write and stop."""

    name: str
    model_types: tuple[str, ...]  # transformers' ``config.model_type`` values of the family
    fim: FimFormat | None
    end_of_text: str | None  # the end-of-document token training appends; None: the tokenizer's
    stop_tokens: tuple[str, ...] = ()  # generation also ends at these (when in the vocabulary)
    # StarCoder's metadata tokens (<reponame>, <filename>, <gh_stars>): packing writes them
    # only for families trained with them (StarCoder2 and Qwen spell repo metadata differently)
    metadata_tokens: dict[str, str] | None = None
    # modules a LoRA adapter wraps: the attention and MLP projections of a block
    lora_targets: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # released checkpoints of the family (hub ids)

    @property
    def supports_fim(self) -> bool:
        return self.fim is not None

    def fim_prompt(self, prefix: str, suffix: str) -> str:
        """The family's PSM infilling prompt, or :class:`FimUnsupportedError`."""
        if self.fim is None:
            raise FimUnsupportedError(
                f"{self.name} models were not trained for fill-in-the-middle "
                "(no FIM sentinel tokens); send a prompt without a suffix"
            )
        return self.fim.prompt(prefix, suffix)

    def special_tokens(self) -> tuple[str, ...]:
        """Every token of the family's formats (what a tokenizer for it must hold)."""
        tokens = [*(self.fim.sentinels if self.fim else ())]
        if self.fim and self.fim.end_of_middle:
            tokens.append(self.fim.end_of_middle)
        if self.fim and self.fim.pad:
            tokens.append(self.fim.pad)
        tokens += [t for t in (self.end_of_text, *self.stop_tokens) if t]
        tokens += list((self.metadata_tokens or {}).values())
        return tuple(dict.fromkeys(tokens))

    def stop_strings(self, vocab: Collection[str]) -> tuple[str, ...]:
        """The stop tokens of the family that ``vocab`` holds, end-of-middle included."""
        candidates = [*self.stop_tokens]
        if self.fim and self.fim.end_of_middle:
            candidates.append(self.fim.end_of_middle)
        return tuple(t for t in dict.fromkeys(candidates) if t in vocab)

    def matches(self, model_type: str, vocab: Collection[str]) -> bool:
        return model_type in self.model_types and (
            self.fim is None or all(t in vocab for t in self.fim.sentinels)
        )


_STARCODER_FIM = FimFormat(prefix=FIM_PREFIX, suffix=FIM_SUFFIX, middle=FIM_MIDDLE, pad=FIM_PAD)
_STARCODER_METADATA = {"reponame": "<reponame>", "filename": "<filename>", "gh_stars": "<gh_stars>"}
_LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily(
        name="starcoder",
        model_types=("gpt_bigcode",),
        fim=_STARCODER_FIM,
        end_of_text=ENDOFTEXT,
        stop_tokens=(ENDOFTEXT,),
        metadata_tokens=_STARCODER_METADATA,
        lora_targets=("c_attn", "c_proj", "c_fc"),
        examples=("bigcode/starcoderbase-1b", "bigcode/starcoder", "bigcode/starcoderbase"),
    ),
    ModelFamily(
        name="starcoder2",
        model_types=("starcoder2",),
        fim=_STARCODER_FIM,
        end_of_text=ENDOFTEXT,
        stop_tokens=(ENDOFTEXT, "<file_sep>"),
        lora_targets=("q_proj", "k_proj", "v_proj", "o_proj", "c_fc", "c_proj"),
        examples=("bigcode/starcoder2-3b", "bigcode/starcoder2-15b"),
    ),
    ModelFamily(
        name="codellama",
        model_types=("llama",),
        fim=FimFormat(
            prefix="<PRE>",
            suffix="<SUF>",
            middle="<MID>",
            prompt_template="{prefix_token} {prefix} {suffix_token}{suffix} {middle_token}",
            end_of_middle="<EOT>",
        ),
        end_of_text="</s>",
        stop_tokens=("</s>",),
        lora_targets=_LLAMA_TARGETS,
        examples=("codellama/CodeLlama-7b-hf",),
    ),
    ModelFamily(
        name="deepseek-coder",
        model_types=("llama",),
        fim=FimFormat(prefix="<｜fim▁begin｜>", suffix="<｜fim▁hole｜>", middle="<｜fim▁end｜>"),
        end_of_text="<｜end▁of▁sentence｜>",
        stop_tokens=("<｜end▁of▁sentence｜>", "<|EOT|>"),
        lora_targets=_LLAMA_TARGETS,
        examples=("deepseek-ai/deepseek-coder-1.3b-base",),
    ),
    ModelFamily(
        name="qwen2.5-coder",
        model_types=("qwen2",),
        fim=FimFormat(
            prefix="<|fim_prefix|>",
            suffix="<|fim_suffix|>",
            middle="<|fim_middle|>",
            pad="<|fim_pad|>",
        ),
        end_of_text="<|endoftext|>",
        stop_tokens=("<|endoftext|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|im_end|>"),
        lora_targets=_LLAMA_TARGETS,
        examples=("Qwen/Qwen2.5-Coder-0.5B", "Qwen/Qwen2.5-Coder-7B"),
    ),
)

_BY_NAME = {family.name: family for family in FAMILIES}


def get_family(name: str) -> ModelFamily:
    if name not in _BY_NAME:
        raise ValueError(f"unknown model family {name!r}; known: {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


def family_for(model_type: str, vocab: Collection[str]) -> ModelFamily:
    """The family of a checkpoint with this ``config.model_type`` and vocabulary.

    ``vocab`` is every token string the tokenizer knows (``tokenizer.get_vocab()``).
    A checkpoint of none of the families (or a family's architecture without its
    FIM sentinels, e.g. a plain Llama) gets a family of its own without FIM,
    ending documents at the tokenizer's own end-of-text.
    """
    for family in FAMILIES:
        if family.matches(model_type, vocab):
            return family
    return ModelFamily(name=model_type, model_types=(model_type,), fim=None, end_of_text=None)


def checkpoint_family(directory: str | Path) -> ModelFamily:
    """The family of the checkpoint (or tokenizer) folder ``directory``, read from its files.

    ``config.json`` gives the ``model_type`` and ``tokenizer.json`` the vocabulary
    (added tokens included); no weight is read and ``transformers`` is not needed.
    A folder with a tokenizer but no ``config.json`` is StarCoder's own format
    (what ``train_tokenizer.py`` writes).
    """
    from tokenizers import Tokenizer

    directory = Path(directory)
    tokenizer_json = directory / "tokenizer.json"
    if not tokenizer_json.is_file():
        raise FileNotFoundError(f"no tokenizer.json in {directory}")
    config_json = directory / "config.json"
    model_type = "gpt_bigcode"
    if config_json.is_file():
        model_type = json.loads(config_json.read_text(encoding="utf-8")).get("model_type", "")
    vocab = Tokenizer.from_file(str(tokenizer_json)).get_vocab(with_added_tokens=True)
    return family_for(model_type, vocab)


def attention_kernels(model_type: str) -> tuple[str, ...]:
    """The ``attn_implementation`` values ``transformers`` offers for this architecture.

    Read from the model class rather than written down, so the answer follows
    the installed ``transformers``; ``flash_attention_2`` needs a GPU and the
    ``flash-attn`` package besides.
    """
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise ValueError(f"transformers has no causal LM for model_type {model_type!r}")
    model_class = getattr(transformers, MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type])
    flags = {
        "sdpa": "_supports_sdpa",
        "flash_attention_2": "_supports_flash_attn",
        "flex_attention": "_supports_flex_attn",
    }
    supported = (kernel for kernel, flag in flags.items() if getattr(model_class, flag, False))
    return ("eager", *supported)
