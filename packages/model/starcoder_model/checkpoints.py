"""Build GPTBigCode models; save and load any causal LM checkpoint through ``transformers``.

The model we pretrain is ``transformers.GPTBigCodeForCausalLM``, the
architecture of every StarCoder checkpoint, so what we train loads wherever
StarCoder loads. Fine-tuning, evaluation and serving load any causal LM
(StarCoder2, CodeLlama, DeepSeek-Coder, Qwen2.5-Coder, ...: the families of
:mod:`starcoder_data.families`) from a local folder or, by hub id, from the
local Hugging Face cache, never from the network. Checkpoints are Hugging
Face directories: ``model.safetensors`` + ``config.json`` +
``generation_config.json`` + the tokenizer files. The sizing arithmetic
(:mod:`.sizing`) is re-exported here for the training loop's MFU.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from starcoder_data.families import attention_kernels, family_for
from starcoder_data.special_tokens import ENDOFTEXT, SPECIAL_TOKENS
from transformers import GPTBigCodeConfig, GPTBigCodeForCausalLM, PreTrainedTokenizerBase

from .presets import ModelPreset
from .sizing import flops_per_token, kv_cache_bytes_per_token

__all__ = [
    "CheckpointNotFoundError",
    "attention_implementation",
    "build_model",
    "check_tokenizer",
    "flops_per_token",
    "hub_cache_dir",
    "kv_cache_bytes_per_token",
    "load_model",
    "model_positions",
    "read_model_config",
    "resolve_checkpoint",
    "save_model",
    "special_token_mismatches",
]

MODEL_TYPE = "gpt_bigcode"
SDPA = "sdpa"
FLASH_ATTENTION_2 = "flash_attention_2"


def attention_implementation(
    device: torch.device | str | None = None, model_type: str = MODEL_TYPE
) -> str:
    """``"flash_attention_2"`` on a CUDA device with ``flash_attn`` installed, else ``"sdpa"``.

    StarCoder trained with FlashAttention (Dao et al. 2022); FlashAttention-2 is
    its faster successor. PyTorch's SDPA is the portable fallback (CPU, or GPUs
    without the package) with the same math. An architecture whose
    ``transformers`` class offers neither gets ``"eager"``.
    """
    kernels = attention_kernels(model_type)
    chosen = _fastest_kernel(device)
    if chosen in kernels:
        return chosen
    return SDPA if SDPA in kernels else "eager"


def _fastest_kernel(device: torch.device | str | None) -> str:
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


class CheckpointNotFoundError(FileNotFoundError):
    """A ``--checkpoint`` that is neither a local folder nor a hub id in the local cache."""


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read now: ``HF_HUB_CACHE``, else ``HF_HOME/hub``, else default.

    Read from the environment at each call (``huggingface_hub.constants`` is
    fixed when the library is imported), so a job's environment is respected.
    """
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def resolve_checkpoint(name: str | Path) -> Path:
    """The local folder of a checkpoint given as a folder or as a hub id (``org/name``).

    A hub id is looked up in the local Hugging Face cache only
    (``snapshot_download(..., local_files_only=True)``): nothing is downloaded.
    A name that is neither gets one error naming the folder and the cache
    searched, and how to fill the cache.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    repo_id = str(name)
    if not _is_repo_id(repo_id):
        raise CheckpointNotFoundError(f"checkpoint directory {path} does not exist")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    cache = hub_cache_dir()
    try:
        return Path(snapshot_download(repo_id, local_files_only=True, cache_dir=str(cache)))
    except LocalEntryNotFoundError:
        raise CheckpointNotFoundError(
            f"checkpoint {repo_id!r} is neither a local folder nor in the Hugging Face cache "
            f"at {cache} (HF_HUB_CACHE / HF_HOME); nothing is downloaded at run time: run "
            f"`huggingface-cli download {repo_id}` on a machine with access to the hub and "
            "copy its cache here (or point HF_HUB_CACHE at it), or pass a local folder"
        ) from None


def _is_repo_id(name: str) -> bool:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if name.startswith((".", "/", "~")):
        return False
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def read_model_config(directory: str | Path) -> dict:
    """The raw ``config.json`` of a checkpoint (folder or cached hub id), checked to be a causal LM.

    Raises ``FileNotFoundError`` for a missing checkpoint or ``config.json`` and
    ``ValueError`` for a model ``transformers`` has no causal LM class for,
    without touching the weights.
    """
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    directory = resolve_checkpoint(directory)
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"{directory} is not a Hugging Face checkpoint: it has no config.json"
        )
    raw = json.loads(config_path.read_text(encoding="utf-8"))
    model_type = raw.get("model_type")
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        architectures = ", ".join(raw.get("architectures") or []) or "unknown"
        raise ValueError(
            f"checkpoint {directory} is a {model_type!r} model ({architectures}), not a causal "
            "language model transformers' AutoModelForCausalLM loads (GPTBigCode as StarCoder, "
            "StarCoder2, Llama as CodeLlama and DeepSeek-Coder, Qwen2 as Qwen2.5-Coder, ...)"
        )
    return raw


def model_positions(config) -> int:
    """How many positions the model attends over: ``max_position_embeddings`` or ``n_positions``."""
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None) if not isinstance(config, dict) else config.get(name)
        if value:
            return int(value)
    raise ValueError("the model config names neither max_position_embeddings nor n_positions")


def load_model(
    directory: str | Path,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    attn_implementation: str | None = None,
):
    """A causal LM checkpoint from local disk or the local hub cache, in eval mode.

    ``directory`` is a folder or a hub id (``Qwen/Qwen2.5-Coder-0.5B``) already
    in the Hugging Face cache; any architecture ``AutoModelForCausalLM`` knows
    loads (ours and StarCoder's GPTBigCode, StarCoder2, Llama, Qwen2, ...).
    ``dtype`` defaults to the dtype the checkpoint was saved in; ``device`` to
    the CPU. Nothing is downloaded: a checkpoint that is not local or not a
    causal LM fails before any weight is read.
    """
    from transformers import AutoModelForCausalLM

    directory = resolve_checkpoint(directory)
    model_type = read_model_config(directory)["model_type"]
    device = torch.device(device) if device is not None else torch.device("cpu")
    model = AutoModelForCausalLM.from_pretrained(
        str(directory),
        local_files_only=True,
        dtype=dtype if dtype is not None else "auto",
        attn_implementation=attn_implementation or attention_implementation(device, model_type),
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


def check_tokenizer(config, tokenizer: PreTrainedTokenizerBase) -> None:
    """Raise ``ValueError`` unless ``tokenizer`` fits a model of ``config``.

    Every token id must index the embedding (``len(tokenizer) <= vocab_size``)
    and the config's ``eos_token_id`` must be the end-of-text token training
    appends. A GPTBigCode model (StarCoder's format) must moreover have
    StarCoder's special tokens at ids 0..18, as StarCoder's own tokenizer and
    ours do; another family needs its own end-of-text in the vocabulary
    (:mod:`starcoder_data.families`).
    """
    problems = []
    if len(tokenizer) > config.vocab_size:
        problems.append(
            f"the tokenizer has {len(tokenizer)} tokens but the model's vocab_size is "
            f"{config.vocab_size}"
        )
    if config.model_type == MODEL_TYPE:
        problems.extend(special_token_mismatches(tokenizer))
        end_of_text, expected = ENDOFTEXT, SPECIAL_TOKENS.index(ENDOFTEXT)
        rule = "StarCoder's special tokens must have ids 0..18"
    else:
        family = family_for(config.model_type, tokenizer.get_vocab())
        end_of_text = family.end_of_text or tokenizer.eos_token
        expected = tokenizer.get_vocab().get(end_of_text) if end_of_text else None
        if expected is None:
            problems.append(f"the tokenizer has no end-of-text token ({end_of_text or 'none'})")
        rule = f"the {family.name} family's end-of-text must be in the tokenizer"
    eos = _as_list(config.eos_token_id)
    if eos and expected is not None and expected not in eos:
        problems.append(
            f"the config's eos_token_id {config.eos_token_id} is not {end_of_text}'s {expected}"
        )
    if problems:
        raise ValueError(f"tokenizer does not match the model ({rule}): " + "; ".join(problems))


def _as_list(token_ids: int | Sequence[int] | None) -> list[int]:
    if token_ids is None:
        return []
    return [token_ids] if isinstance(token_ids, int) else list(token_ids)


def save_model(model, tokenizer: PreTrainedTokenizerBase, directory: str | Path) -> Path:
    """Write a checkpoint ``AutoModelForCausalLM`` / ``AutoTokenizer.from_pretrained`` load.

    Safetensors weights, ``config.json``, ``generation_config.json`` (end of
    text = padding = the family's end-of-text, ``<|endoftext|>`` for StarCoder,
    so batched ``generate()`` needs no setup) and the tokenizer files, the
    family's chat template included. Refuses a tokenizer that does not fit the model.
    """
    check_tokenizer(model.config, tokenizer)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    generation_config = copy.deepcopy(model.generation_config)
    if model.config.model_type == MODEL_TYPE:
        endoftext = SPECIAL_TOKENS.index(ENDOFTEXT)
        generation_config.bos_token_id = endoftext
    else:
        family = family_for(model.config.model_type, tokenizer.get_vocab())
        endoftext = tokenizer.convert_tokens_to_ids(family.end_of_text or tokenizer.eos_token)
    generation_config.eos_token_id = endoftext
    if generation_config.pad_token_id is None:
        generation_config.pad_token_id = endoftext
    model.save_pretrained(directory)
    generation_config.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
