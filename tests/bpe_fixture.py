"""A tiny byte-level BPE for tests that need a tokenizer but not the project's trainer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starcoder_data.special_tokens import SPECIAL_TOKENS


def tiny_bpe(
    corpus: Iterable[str], vocab_size: int = 300, special_tokens: Sequence[str] = SPECIAL_TOKENS
):
    """A ``tokenizers.Tokenizer`` with ``special_tokens`` added first (ids 0..n-1)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer)
    return tokenizer
