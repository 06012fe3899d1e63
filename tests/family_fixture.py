"""Tiny random-weight checkpoints of each model family, made here (nothing downloaded).

Each is the family's real ``transformers`` architecture (its config class, a
2-layer, 64-wide shape with the family's attention layout: multi-query for
GPTBigCode, grouped-query for the others) and a byte-level BPE trained on a
few standard-library files with the family's special tokens from
:data:`starcoder_data.families.FAMILIES`, saved with ``save_pretrained`` as
a released checkpoint is. The Qwen one carries a ChatML chat template, as
Qwen2.5-Coder's tokenizer does; the others have none. Weights are seeded and
untrained: tests check mechanics, never the quality of the text.
"""

from __future__ import annotations

from pathlib import Path

from bpe_fixture import tiny_bpe

FAMILY_NAMES = ("starcoder", "starcoder2", "codellama", "deepseek-coder", "qwen2.5-coder")

CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_SHAPE = {"hidden": 64, "layers": 2, "heads": 4, "kv_heads": 2, "positions": 256}


def family_corpus() -> list[str]:
    """A few real Python files: what every machine with Python has."""
    import json
    import textwrap

    sources = [textwrap.__file__, json.__file__]
    return [Path(path).read_text(encoding="utf-8") for path in sources]


def family_tokenizer(family_name: str, vocab_size: int = 400):
    """A ``PreTrainedTokenizerFast`` holding the family's special tokens."""
    from starcoder_data.families import get_family
    from transformers import PreTrainedTokenizerFast

    family = get_family(family_name)
    chat = ("<|im_start|>", "<|im_end|>") if family_name == "qwen2.5-coder" else ()
    bos = "<s>" if family.model_types[0] == "llama" else None
    specials = list(dict.fromkeys(t for t in (bos, *family.special_tokens(), *chat) if t))
    bpe = tiny_bpe(family_corpus(), vocab_size=vocab_size, special_tokens=specials)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=bos,
        eos_token=family.end_of_text,
        pad_token=family.end_of_text,
    )
    if chat:
        tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def family_config(family_name: str, tokenizer):
    """The family's ``transformers`` config at the tiny shape, ids from ``tokenizer``."""
    from starcoder_data.families import get_family
    from transformers import GPTBigCodeConfig, LlamaConfig, Qwen2Config, Starcoder2Config

    model_type = get_family(family_name).model_types[0]
    ids = {
        "vocab_size": len(tokenizer),
        "bos_token_id": tokenizer.bos_token_id or tokenizer.eos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if model_type == "gpt_bigcode":
        return GPTBigCodeConfig(
            n_embd=_SHAPE["hidden"],
            n_layer=_SHAPE["layers"],
            n_head=_SHAPE["heads"],
            n_positions=_SHAPE["positions"],
            multi_query=True,
            **ids,
        )
    config_class = {"starcoder2": Starcoder2Config, "llama": LlamaConfig, "qwen2": Qwen2Config}
    return config_class[model_type](
        hidden_size=_SHAPE["hidden"],
        intermediate_size=2 * _SHAPE["hidden"],
        num_hidden_layers=_SHAPE["layers"],
        num_attention_heads=_SHAPE["heads"],
        num_key_value_heads=_SHAPE["kv_heads"],
        max_position_embeddings=_SHAPE["positions"],
        **ids,
    )


def build_family_checkpoint(family_name: str, root: Path, seed: int = 0) -> Path:
    """Save a tiny random-weight checkpoint of ``family_name`` (model + tokenizer) to ``root``."""
    import torch
    from transformers import AutoModelForCausalLM

    tokenizer = family_tokenizer(family_name)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(family_config(family_name, tokenizer))
    root.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root
