"""StarEncoder as ``transformers``' BERT: pretraining heads for MLM + NSP, a NER head on top.

Using ``BertForPreTraining`` / ``BertForTokenClassification`` keeps the weights
in HF format (safetensors + ``config.json``): the encoder loads with
``AutoModel.from_pretrained`` and the NER model with
``AutoModelForTokenClassification.from_pretrained``.
"""

from __future__ import annotations

from pathlib import Path

from .presets import EncoderPreset


def bert_config(preset: EncoderPreset, tokenizer, **extra):
    """The ``BertConfig`` of ``preset`` for ``tokenizer`` (vocabulary incl. encoder tokens)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=preset.hidden_size,
        num_hidden_layers=preset.num_layers,
        num_attention_heads=preset.num_heads,
        intermediate_size=preset.intermediate_size,
        max_position_embeddings=preset.max_positions,
        hidden_dropout_prob=preset.dropout,
        attention_probs_dropout_prob=preset.dropout,
        type_vocab_size=2,  # sentence A / sentence B, for NSP
        pad_token_id=tokenizer.pad_token_id,
        **extra,
    )


def build_encoder(preset: EncoderPreset, tokenizer, seed: int = 0):
    """A freshly initialised ``BertForPreTraining`` (MLM + NSP heads)."""
    import torch
    from transformers import BertForPreTraining

    torch.manual_seed(seed)
    return BertForPreTraining(bert_config(preset, tokenizer))


def build_ner_model(encoder_dir: str | Path, labels: list[str]):
    """``BertForTokenClassification`` on a pretrained StarEncoder, with a new head."""
    from transformers import BertForTokenClassification

    return BertForTokenClassification.from_pretrained(
        str(encoder_dir),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )


def save_hf(model, tokenizer, directory: str | Path) -> Path:
    """Model weights + config + tokenizer, as ``from_pretrained`` reads them."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory
