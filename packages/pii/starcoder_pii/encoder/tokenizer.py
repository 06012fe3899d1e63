"""The project's BPE with the four tokens an encoder needs: [CLS], [SEP], [MASK], [PAD].

StarCoder's 19 special tokens have no mask, separator or padding token, so
StarEncoder added BERT's ``[CLS]``, ``[SEP]``, ``[MASK]`` and ``[PAD]`` after the
vocabulary; this does the same, so ids 0..18 keep their StarCoder meaning and
the code vocabulary is shared with the decoder.
"""

from __future__ import annotations

from pathlib import Path

CLS, SEP, MASK, PAD = "[CLS]", "[SEP]", "[MASK]", "[PAD]"
ENCODER_TOKENS = (CLS, SEP, MASK, PAD)


def encoder_tokenizer(tokenizer_dir: str | Path):
    """The decoder's tokenizer (``starcoder_model.load_tokenizer``) plus the encoder tokens."""
    from starcoder_model import load_tokenizer

    tokenizer = load_tokenizer(tokenizer_dir)
    return add_encoder_tokens(tokenizer)


def add_encoder_tokens(tokenizer):
    """Add the four tokens (if missing) and name them as ``transformers`` expects."""
    missing = [t for t in ENCODER_TOKENS if t not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_special_tokens({"additional_special_tokens": missing})
    tokenizer.cls_token, tokenizer.sep_token = CLS, SEP
    tokenizer.mask_token, tokenizer.pad_token = MASK, PAD
    tokenizer.model_max_length = 1 << 30  # windows are cut by the caller, never truncated
    return tokenizer


def load_encoder_tokenizer(model_dir: str | Path):
    """The tokenizer saved next to a StarEncoder or NER model."""
    from transformers import AutoTokenizer

    return add_encoder_tokens(AutoTokenizer.from_pretrained(str(model_dir)))
