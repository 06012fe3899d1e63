"""Fixtures shared by the execution tests."""

from __future__ import annotations

import warnings

import pytest
from starcoder_eval.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    """The strongest sandbox this machine offers (a warning says what it lacks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Sandbox()
