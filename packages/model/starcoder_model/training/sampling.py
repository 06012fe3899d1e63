"""Which training sequences each worker reads at each step: a pure function of the step.

The order is derived from the seed and the step alone, so a run resumed from a
checkpoint at step ``s`` reads exactly the sequences an uninterrupted run
would have read from step ``s`` on: the position in the data is the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SequenceSampler:
    """An endless, seeded stream of sequence indices, weighted by source.

    ``source_sizes`` lists the sources in the order their sequences appear in the
    global index (as the token shards lay them out). Without weights each epoch
    is a permutation, so every sequence is read once per epoch; with weights each
    epoch draws ``total`` indices with replacement, a source's share of draws
    being proportional to its weight (the way StarCoder weighted its data sources).
    ``probabilities`` (one per sequence, e.g. from per-language weights) draws
    the same way with any per-sequence distribution.
    """

    source_sizes: dict[str, int]
    seed: int = 0
    weights: dict[str, float] | None = None
    probabilities: np.ndarray | None = None
    _epochs: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.total = sum(self.source_sizes.values())
        if self.total == 0:
            raise ValueError("no training sequences to sample from")
        if self.weights is not None and self.probabilities is not None:
            raise ValueError("set source_weights or language_weights, not both")
        if self.probabilities is not None and len(self.probabilities) != self.total:
            raise ValueError(f"{len(self.probabilities)} probabilities for {self.total} sequences")
        if self.weights is not None:
            unknown = set(self.weights) - set(self.source_sizes)
            if unknown:
                raise ValueError(
                    f"source_weights name sources the token shards do not have: "
                    f"{sorted(unknown)}; shards have {sorted(self.source_sizes)}"
                )
            if not any(self.weights.get(s, 0.0) > 0 for s, n in self.source_sizes.items() if n):
                raise ValueError("source_weights give every non-empty source weight 0")

    def _epoch(self, epoch: int) -> np.ndarray:
        if epoch not in self._epochs:
            rng = np.random.default_rng([self.seed, epoch])
            if self.probabilities is not None:
                order = rng.choice(self.total, size=self.total, p=self.probabilities)
            elif self.weights is None:
                order = rng.permutation(self.total)
            else:
                order = rng.choice(self.total, size=self.total, p=self._probabilities())
            self._epochs = {epoch: order}  # keep one epoch: memory stays O(total)
        return self._epochs[epoch]

    def _probabilities(self) -> np.ndarray:
        per_sequence = [
            np.full(n, self.weights.get(source, 0.0) / n if n else 0.0)
            for source, n in self.source_sizes.items()
        ]
        p = np.concatenate(per_sequence)
        return p / p.sum()

    def positions(self, start: int, count: int) -> np.ndarray:
        """Indices at stream positions ``[start, start + count)``."""
        out = np.empty(count, dtype=np.int64)
        filled = 0
        while filled < count:
            epoch, offset = divmod(start + filled, self.total)
            take = min(count - filled, self.total - offset)
            out[filled : filled + take] = self._epoch(epoch)[offset : offset + take]
            filled += take
        return out

    def micro_batch(
        self,
        step: int,
        micro_step: int,
        rank: int,
        world_size: int,
        micro_batch_size: int,
        accumulation: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Indices one worker reads for one micro-step of one optimizer step, and their epochs.

        A step's global batch is ``world_size x accumulation x micro_batch_size``
        consecutive stream positions; micro-step ``a`` of rank ``r`` takes its
        slice, so the global batch is the same for any split over workers. The
        epoch of each position is what its FIM draw is seeded by.
        """
        global_batch = world_size * accumulation * micro_batch_size
        start = step * global_batch + (micro_step * world_size + rank) * micro_batch_size
        epochs = (start + np.arange(micro_batch_size, dtype=np.int64)) // self.total
        return self.positions(start, micro_batch_size), epochs


def evaluation_indices(n_sequences: int, count: int, rank: int, world_size: int) -> np.ndarray:
    """A fixed, evenly spread validation subset, split evenly across workers.

    Every rank gets the same number of sequences (a multiple of ``world_size``
    is taken, repeating sequences when there are fewer than workers), because
    under ZeRO-3 each forward pass is a collective all ranks must join.
    """
    count = min(count, n_sequences)
    count = max(world_size, count - count % world_size)
    chosen = np.linspace(0, n_sequences, num=count, endpoint=False).astype(np.int64)
    return chosen[rank::world_size]
