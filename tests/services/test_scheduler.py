"""Continuous batching: requests submitted at any time get exactly their own tokens."""

from __future__ import annotations

import threading

import pytest
from starcoder_serve import CompletionRequest, CompletionService, ContinuousScheduler


@pytest.fixture(scope="module")
def service(micro_checkpoint):
    return CompletionService.from_checkpoint(micro_checkpoint, model_id="micro", device="cpu")


def _collect(scheduler, sequences):
    """Submit; return (event set when done, list of updates received)."""
    done, updates = threading.Event(), []

    def notify(update):
        updates.append(update)
        if update.done:
            done.set()

    scheduler.submit(sequences, notify)
    return done, updates


def test_requests_joining_at_different_times_match_decoding_alone(service):
    prompts = ["def f(x):", "import os\nimport sys\n\nclass Loader:", "x = [", "for i in"]
    requests = [
        CompletionRequest(prompt=p, max_tokens=10 + 3 * i, temperature=0, n=1 + i % 2)
        for i, p in enumerate(prompts)
    ]
    expected = []
    for request in requests:
        alone = service.prepare(request)
        service.generate(alone)
        expected.append([s.text for s in alone])
    scheduler = ContinuousScheduler(service.generator, max_batch_size=3)  # forces queueing
    runs = []
    for request in requests:
        sequences = service.prepare(request)
        runs.append((sequences, *_collect(scheduler, sequences)))
    for (sequences, done, updates), texts in zip(runs, expected, strict=True):
        assert done.wait(60)
        assert [s.text for s in sequences] == texts
        streamed = ["".join(parts) for parts in zip(*(u.deltas for u in updates), strict=True)]
        assert streamed == texts
        assert updates[-1].done and all(u.error is None for u in updates)


def test_a_failing_step_fails_its_requests_and_the_loop_goes_on(service):
    scheduler = ContinuousScheduler(service.generator, max_batch_size=4)
    bad = service.prepare(CompletionRequest(prompt="x", max_tokens=3))
    bad[0].prompt_ids = [10**9]  # an id beyond the embedding: the prefill raises
    done, updates = _collect(scheduler, bad)
    assert done.wait(60) and updates[-1].error is not None
    good = service.prepare(CompletionRequest(prompt="x", max_tokens=3, temperature=0))
    done, updates = _collect(scheduler, good)
    assert done.wait(60) and updates[-1].error is None and good[0].finished


def test_updates_carry_each_sequences_state_when_their_text_was_taken(service):
    """The decoding thread runs ahead of whoever reads an update: a reader must learn
    that a sequence ended from the update that carries its last text, never from the
    live sequence (which ends before the reader sees the text before its last)."""
    scheduler = ContinuousScheduler(service.generator, max_batch_size=4)
    request = CompletionRequest(prompt="def f(x):", max_tokens=8, temperature=0, n=2)
    sequences = service.prepare(request)
    done, updates = _collect(scheduler, sequences)
    assert done.wait(60)
    for index, sequence in enumerate(sequences):
        states = [u.finished[index] for u in updates]
        last_text = (
            max(i for i, u in enumerate(updates) if u.deltas[index])
            if any(u.deltas[index] for u in updates)
            else -1
        )
        first_end = states.index(True)
        assert first_end >= last_text and not any(states[:first_end])
        assert sequence.finished and all(states[first_end:])
