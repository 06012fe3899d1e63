"""Tokenizer training, GPTBigCode presets and training-loop pieces.

The public API is listed in ``__all__``; it grows with the issue that builds it.
"""

__all__: list[str] = []
