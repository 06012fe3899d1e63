"""Build, save and load GPTBigCode models through ``transformers``.

The model is ``transformers.GPTBigCodeForCausalLM``, the architecture of every
StarCoder checkpoint, so what we train loads wherever StarCoder loads and a
real StarCoder checkpoint on local disk drops into our evaluation and serving.
Checkpoints are Hugging Face directories: ``model.safetensors`` +
``config.json`` + ``generation_config.json`` + the tokenizer files. The sizing
arithmetic (:mod:`.sizing`) is re-exported here for the training loop's MFU.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from starcoder_data.special_tokens import ENDOFTEXT, SPECIAL_TOKENS
from transformers import GPTBigCodeConfig, GPTBigCodeForCausalLM, PreTrainedTokenizerBase

from .presets import ModelPreset
from .sizing import flops_per_token, kv_cache_bytes_per_token

__all__ = [
    "attention_implementation",
    "build_model",
    "check_tokenizer",
    "flops_per_token",
    "kv_cache_bytes_per_token",
    "load_model",
    "read_model_config",
    "save_model",
    "special_token_mismatches",
]

MODEL_TYPE = "gpt_bigcode"
SDPA = "sdpa"
FLASH_ATTENTION_2 = "flash_attention_2"


def attention_implementation(device: torch.device | str | None = None) -> str:
    """``"flash_attention_2"`` on a CUDA device with ``flash_attn`` installed, else ``"sdpa"``.

    StarCoder trained with FlashAttention (Dao et al. 2022); FlashAttention-2 is
    its faster successor. PyTorch's SDPA is the portable fallback (CPU, or GPUs
    without the package) with the same math.
    """
    device = torch.device(device) if device is not None else _default_device()
    if device.type != "cuda" or not torch.cuda.is_available():
        return SDPA
    if importlib.util.find_spec("flash_attn") is None:
        return SDPA
    try:
        import flash_attn  # noqa: F401
    except ImportError:  # installed but built for another torch/CUDA
        return SDPA
    return FLASH_ATTENTION_2


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_model(
    architecture: ModelPreset | GPTBigCodeConfig,
    vocab_size: int | None = None,
    *,
    seed: int = 0,
    attn_implementation: str | None = None,
) -> GPTBigCodeForCausalLM:
    """A freshly initialised model, identical for identical ``(architecture, vocab_size, seed)``.

    The weights are drawn as ``torch.manual_seed(seed); GPTBigCodeForCausalLM(config)``
    would draw them, inside a forked RNG so the caller's random state is left alone.
    ``vocab_size`` is required for a preset without a published vocabulary; with
    a config it may be left out (it must agree with the config if given).
    """
    config = _resolve_config(architecture, vocab_size)
    config._attn_implementation = attn_implementation or attention_implementation()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GPTBigCodeForCausalLM(config)


def _resolve_config(
    architecture: ModelPreset | GPTBigCodeConfig, vocab_size: int | None
) -> GPTBigCodeConfig:
    if isinstance(architecture, ModelPreset):
        return architecture.to_config(vocab_size)
    if not isinstance(architecture, GPTBigCodeConfig):
        raise TypeError(
            f"expected a ModelPreset or GPTBigCodeConfig, got {type(architecture).__name__}"
        )
    if vocab_size is not None and vocab_size != architecture.vocab_size:
        raise ValueError(
            f"vocab_size={vocab_size} disagrees with the config's {architecture.vocab_size}"
        )
    return copy.deepcopy(architecture)  # the model keeps its own config; the caller's stays put


def read_model_config(directory: str | Path) -> dict:
    """The raw ``config.json`` of a checkpoint directory, checked to be a GPTBigCode model.

    Raises ``FileNotFoundError`` for a missing directory or ``config.json`` and
    ``ValueError`` for another architecture, without touching the weights.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"checkpoint directory {directory} does not exist")
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"{directory} is not a Hugging Face checkpoint: it has no config.json"
        )
    raw = json.loads(config_path.read_text(encoding="utf-8"))
    model_type = raw.get("model_type")
    if model_type != MODEL_TYPE:
        architectures = ", ".join(raw.get("architectures") or []) or "unknown"
        raise ValueError(
            f"checkpoint {directory} is a {model_type!r} model ({architectures}), not a "
            f"GPTBigCode ({MODEL_TYPE!r}) model such as StarCoder"
        )
    return raw


def load_model(
    directory: str | Path,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    attn_implementation: str | None = None,
) -> GPTBigCodeForCausalLM:
    """A GPTBigCode checkpoint from local disk (ours or a real StarCoder one), in eval mode.

    ``dtype`` defaults to the dtype the checkpoint was saved in; ``device`` to
    the CPU. Nothing is downloaded: a directory that is not a local GPTBigCode
    checkpoint fails before any weight is read.
    """
    from transformers import AutoModelForCausalLM

    read_model_config(directory)
    device = torch.device(device) if device is not None else torch.device("cpu")
    model = AutoModelForCausalLM.from_pretrained(
        str(directory),
        local_files_only=True,
        dtype=dtype if dtype is not None else "auto",
        attn_implementation=attn_implementation or attention_implementation(device),
    )
    return model.to(device).eval()


def special_token_mismatches(tokenizer: PreTrainedTokenizerBase) -> list[str]:
    """``"<token>: expected id i, got j"`` for each StarCoder special token out of place."""
    vocab = tokenizer.get_vocab()
    return [
        f"{token}: expected id {expected}, got {vocab.get(token, 'none (missing)')}"
        for expected, token in enumerate(SPECIAL_TOKENS)
        if vocab.get(token) != expected
    ]


def check_tokenizer(config: GPTBigCodeConfig, tokenizer: PreTrainedTokenizerBase) -> None:
    """Raise ``ValueError`` unless ``tokenizer`` fits a model of ``config``.

    Every token id must index the embedding (``len(tokenizer) <= vocab_size``),
    and the special tokens must have StarCoder's ids 0..18: FIM, metadata and
    end-of-text are addressed by id in training data, prompts and checkpoints.
    """
    problems = []
    if len(tokenizer) > config.vocab_size:
        problems.append(
            f"the tokenizer has {len(tokenizer)} tokens but the model's vocab_size is "
            f"{config.vocab_size}"
        )
    problems.extend(special_token_mismatches(tokenizer))
    eos = _as_list(config.eos_token_id)
    if eos and SPECIAL_TOKENS.index(ENDOFTEXT) not in eos:
        problems.append(f"the config's eos_token_id {config.eos_token_id} is not {ENDOFTEXT}'s 0")
    if problems:
        raise ValueError(
            "tokenizer does not match the model (StarCoder's special tokens must have ids "
            "0..18): " + "; ".join(problems)
        )


def _as_list(token_ids: int | Sequence[int] | None) -> list[int]:
    if token_ids is None:
        return []
    return [token_ids] if isinstance(token_ids, int) else list(token_ids)


def save_model(
    model: GPTBigCodeForCausalLM, tokenizer: PreTrainedTokenizerBase, directory: str | Path
) -> Path:
    """Write a checkpoint ``AutoModelForCausalLM`` / ``AutoTokenizer.from_pretrained`` load.

    Safetensors weights, ``config.json``, ``generation_config.json`` (end of
    text = padding = ``<|endoftext|>``, so batched ``generate()`` needs no
    setup) and the tokenizer files. Refuses a tokenizer that does not fit the model.
    """
    check_tokenizer(model.config, tokenizer)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    endoftext = SPECIAL_TOKENS.index(ENDOFTEXT)
    generation_config = copy.deepcopy(model.generation_config)
    generation_config.bos_token_id = endoftext
    generation_config.eos_token_id = endoftext
    if generation_config.pad_token_id is None:
        generation_config.pad_token_id = endoftext
    model.save_pretrained(directory)
    generation_config.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
