"""Continuous batching: one decoding loop in a thread, requests joining and leaving it.

A replica submits each request's sequences with a callback; the loop admits
waiting requests at the next step (while the batch has room), decodes one
token for every row, and calls each request's callback with its new text. A
request never waits for another to finish, only for the current step.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .engine import BatchGenerator, DecodeBatch, GenerationSequence

__all__ = ["ContinuousScheduler", "Update"]


@dataclass(frozen=True)
class Update:
    """New text of one request's sequences after a step (``error`` ends the request)."""

    deltas: list[str]
    done: bool
    error: BaseException | None = None
    # Each sequence's state when ``deltas`` were taken: the decoding thread runs on,
    # so the sequences themselves may already be further along when this is read.
    finished: list[bool] | None = None


@dataclass
class _Job:
    sequences: list[GenerationSequence]
    notify: Callable[[Update], None]


class ContinuousScheduler:
    """Runs :class:`DecodeBatch` steps in a daemon thread for submitted requests."""

    def __init__(self, generator: BatchGenerator, *, max_batch_size: int):
        self.generator = generator
        self.max_batch_size = max_batch_size
        self._waiting: deque[_Job] = deque()
        self._wakeup = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="decode-loop", daemon=True)
        self._thread.start()

    def submit(
        self, sequences: Sequence[GenerationSequence], notify: Callable[[Update], None]
    ) -> None:
        """Queue a request; ``notify`` is called from the loop's thread after each step."""
        with self._wakeup:
            self._waiting.append(_Job(list(sequences), notify))
            self._wakeup.notify()

    def _run(self) -> None:
        batch, jobs = DecodeBatch(self.generator), {}
        while True:
            admitted = self._admit(len(batch), wait=not batch)
            try:
                batch.admit([s for job in admitted for s in job.sequences])
                for job in admitted:
                    jobs[id(job)] = job
                updates = dict((id(s), d) for s, d in batch.step())
            except Exception as error:  # a failed step fails its requests, not the replica
                for job in [*jobs.values(), *admitted]:
                    job.notify(
                        Update([""] * len(job.sequences), True, error, [True] * len(job.sequences))
                    )
                batch, jobs = DecodeBatch(self.generator), {}
                continue
            for key, job in list(jobs.items()):
                deltas = [updates.get(id(s), "") for s in job.sequences]
                finished = [s.finished for s in job.sequences]
                done = all(finished)
                if any(deltas) or done:
                    job.notify(Update(deltas, done, finished=finished))
                if done:
                    del jobs[key]

    def _admit(self, running: int, *, wait: bool) -> list[_Job]:
        with self._wakeup:
            while wait and not self._waiting:
                self._wakeup.wait()
            admitted = []
            while self._waiting and (
                running == 0 or running + len(self._waiting[0].sequences) <= self.max_batch_size
            ):
                job = self._waiting.popleft()
                running += len(job.sequences)
                admitted.append(job)
            return admitted
