"""StarEncoder: a BERT-style encoder pretrained on code with MLM + NSP."""

from .modeling import bert_config, build_encoder, build_ner_model, save_hf
from .presets import PRESETS, EncoderPreset, get_preset
from .pretraining_data import MlmConfig, SpecialIds, mask_tokens, pair_example, pretraining_batch
from .tokenizer import ENCODER_TOKENS, add_encoder_tokens, encoder_tokenizer, load_encoder_tokenizer

__all__ = [
    "ENCODER_TOKENS",
    "PRESETS",
    "EncoderPreset",
    "MlmConfig",
    "SpecialIds",
    "add_encoder_tokens",
    "bert_config",
    "build_encoder",
    "build_ner_model",
    "encoder_tokenizer",
    "get_preset",
    "load_encoder_tokenizer",
    "mask_tokens",
    "pair_example",
    "pretraining_batch",
    "save_hf",
]
