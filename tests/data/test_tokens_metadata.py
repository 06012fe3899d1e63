"""StarCoder's metadata header: format, star buckets, and the 0.2 rate per part."""

from __future__ import annotations

import numpy as np
import pytest
from starcoder_data.tokens import add_metadata, stars_bucket


class Draws:
    """A stand-in generator whose Bernoulli draws are given in advance."""

    def __init__(self, *outcomes: int):
        self.outcomes = list(outcomes)

    def binomial(self, n: int, p: float) -> int:
        return self.outcomes.pop(0)


@pytest.mark.parametrize(
    ("draws", "expected"),
    [
        ((1, 1, 1), "<reponame>acme/app<filename>src/main.py<gh_stars>10-100\nprint(1)\n"),
        ((1, 0, 1), "<reponame>acme/app<gh_stars>10-100\nprint(1)\n"),
        ((0, 1, 0), "<filename>src/main.py\nprint(1)\n"),
        ((0, 0, 0), "print(1)\n"),
    ],
)
def test_drawn_parts_in_starcoders_format(draws, expected):
    rng = Draws(*draws)
    assert add_metadata("print(1)\n", "acme/app", "src/main.py", 42, rng, 0.2) == expected
    assert rng.outcomes == []  # three draws, whatever they give


def test_unknown_stars_are_left_out_and_alone_add_no_newline():
    assert add_metadata("x", "r", "p", None, Draws(0, 0, 1), 0.2) == "x"
    assert add_metadata("x", "r", "p", None, Draws(1, 0, 1), 0.2) == "<reponame>r\nx"
    assert add_metadata("x", "r", "p", 0, Draws(0, 0, 1), 0.2) == "<gh_stars>0\nx"


@pytest.mark.parametrize(
    ("stars", "bucket"),
    [(0, "0"), (1, "1-10"), (10, "1-10"), (11, "10-100"), (100, "10-100"), (101, "100-1000"),
     (1000, "100-1000"), (1001, "1000+")],
)  # fmt: skip
def test_star_buckets(stars, bucket):
    assert stars_bucket(stars) == bucket


def test_each_part_is_drawn_independently_at_the_rate():
    rng = np.random.default_rng(7)
    n = 20_000
    headers = [add_metadata("", "r", "p", 5, rng, 0.2) for _ in range(n)]
    repo = np.array(["<reponame>" in h for h in headers])
    path = np.array(["<filename>" in h for h in headers])
    stars = np.array(["<gh_stars>" in h for h in headers])
    for part in (repo, path, stars):
        assert abs(part.mean() - 0.2) < 0.015
    assert abs((repo & path).mean() - 0.04) < 0.006
    assert abs(np.mean([h != "" for h in headers]) - (1 - 0.8**3)) < 0.015


def test_rate_zero_and_one():
    rng = np.random.default_rng(0)
    assert add_metadata("code", "r", "p", 3, rng, 0.0) == "code"
    assert (
        add_metadata("code", "r", "p", 3, rng, 1.0) == "<reponame>r<filename>p<gh_stars>1-10\ncode"
    )
