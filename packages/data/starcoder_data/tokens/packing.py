"""Concatenating documents into fixed-length sequences, as Megatron-LM does.

Documents (each already ending in ``<|endoftext|>``) are laid end to end in
one stream and the stream is cut every ``seq_len`` tokens, so a document may
start in one sequence and go on in the next; no padding is ever added. What
remains after the last full sequence (fewer than ``seq_len`` tokens) cannot
fill a row: :meth:`SequencePacker.finish` returns its size so the manifest
counts it as dropped instead of losing it silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np


class SequencePacker:
    """Streams token arrays into ``(rows, seq_len)`` blocks of ``rows_per_block`` rows.

    ``on_block`` receives each full block (and, at :meth:`finish`, the last
    partial one); it must consume the array before returning, since the
    buffer is reused.
    """

    def __init__(
        self,
        seq_len: int,
        rows_per_block: int,
        on_block: Callable[[np.ndarray], None],
        dtype=np.uint16,
    ):
        self.seq_len = seq_len
        self.on_block = on_block
        self._buffer = np.empty(rows_per_block * seq_len, dtype=dtype)
        self._filled = 0

    def add(self, tokens: np.ndarray) -> None:
        """Append ``tokens`` to the stream, emitting every block it completes."""
        tokens = np.asarray(tokens)
        start = 0
        while start < len(tokens):
            take = min(len(self._buffer) - self._filled, len(tokens) - start)
            self._buffer[self._filled : self._filled + take] = tokens[start : start + take]
            self._filled += take
            start += take
            if self._filled == len(self._buffer):
                self.on_block(self._buffer.reshape(-1, self.seq_len))
                self._filled = 0

    def finish(self) -> int:
        """Emit the full rows still buffered; return the tail tokens that fill no row."""
        rows, tail = divmod(self._filled, self.seq_len)
        if rows:
            self.on_block(self._buffer[: rows * self.seq_len].reshape(rows, self.seq_len))
        self._filled = 0
        return tail


def pack_sequences(
    documents: Iterable[np.ndarray], seq_len: int, dtype=np.uint16
) -> tuple[np.ndarray, int]:
    """All ``documents`` packed into one ``(n, seq_len)`` array, and the dropped tail size."""
    blocks: list[np.ndarray] = []
    packer = SequencePacker(seq_len, 64, lambda block: blocks.append(block.copy()), dtype)
    for tokens in documents:
        packer.add(tokens)
    tail = packer.finish()
    if not blocks:
        return np.empty((0, seq_len), dtype=dtype), tail
    return np.concatenate(blocks), tail
