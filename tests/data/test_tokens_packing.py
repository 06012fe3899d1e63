"""Packing: every token, in order, in seq_len rows; the tail that fills no row is counted."""

from __future__ import annotations

import numpy as np
import pytest
from starcoder_data.tokens import SequencePacker, pack_sequences

EOD = 0


def _documents(seed: int, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        body = rng.integers(1, 1000, size=int(rng.integers(0, 40)))
        docs.append(np.append(body, EOD).astype(np.uint16))
    return docs


@pytest.mark.parametrize("seq_len", [2, 7, 16, 64])
def test_all_tokens_in_order_and_the_tail_accounted(seq_len):
    docs = _documents(0, 50)
    stream = np.concatenate(docs)
    packed, tail = pack_sequences(docs, seq_len)
    assert packed.shape == (len(stream) // seq_len, seq_len)
    assert tail == len(stream) % seq_len
    assert packed.size + tail == len(stream)
    np.testing.assert_array_equal(packed.reshape(-1), stream[: packed.size])


def test_documents_split_across_rows_and_separated_by_eod():
    docs = [np.array([5, 6, 7, EOD]), np.array([8, 9, EOD]), np.array([1, EOD])]
    packed, tail = pack_sequences(docs, 4)
    np.testing.assert_array_equal(packed, [[5, 6, 7, EOD], [8, 9, EOD, 1]])
    assert tail == 1  # the last document's EOD fills no row


def test_fewer_tokens_than_a_row_gives_no_row_and_all_as_tail():
    packed, tail = pack_sequences([np.array([3, 4, EOD])], 8)
    assert packed.shape == (0, 8) and tail == 3


def test_streaming_blocks_do_not_depend_on_how_tokens_arrive():
    docs = _documents(1, 40)
    whole, _ = pack_sequences(docs, 8)
    blocks = []
    packer = SequencePacker(8, 3, lambda b: blocks.append(b.copy()))
    for piece in np.array_split(np.concatenate(docs), 17):
        packer.add(piece)
    tail = packer.finish()
    assert [len(b) for b in blocks[:-1]] == [3] * (len(blocks) - 1)
    np.testing.assert_array_equal(np.concatenate(blocks), whole)
    assert tail == len(np.concatenate(docs)) % 8


def test_dtype_is_kept():
    packed, _ = pack_sequences([np.arange(70_000, 70_010, dtype=np.uint32)], 5, dtype=np.uint32)
    assert packed.dtype == np.uint32 and packed[1, -1] == 70_009
