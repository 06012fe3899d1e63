"""A real HF-format GPTBigCode checkpoint, small enough for serving and evaluation tests.

The micro preset (2 layers, 64 wide, 256 positions) with the 512-token BPE of
the training fixture, saved by :func:`starcoder_model.save_model` exactly as a
training run exports its model. Its weights are untrained (seeded), so tests
check mechanics, never the quality of the text.
"""

from __future__ import annotations

from pathlib import Path


def build_micro_checkpoint(root: Path, tokenizer_dir: Path) -> Path:
    """Write a micro checkpoint with the tokenizer in ``tokenizer_dir`` to ``root``."""
    from starcoder_model import build_model, get_preset, load_tokenizer, save_model

    tokenizer = load_tokenizer(tokenizer_dir)
    model = build_model(get_preset("micro"), len(tokenizer), seed=0)
    return save_model(model, tokenizer, root)
