"""Command-line helpers the PII training jobs still share (their settings become typed next)."""

from __future__ import annotations

import argparse

from starcoder_jobs.config import parse_field_pairs
from starcoder_model.training.driver import run_training, torch_trainer

__all__ = ["add_overrides_argument", "parse_field_overrides", "run_training", "torch_trainer"]


def add_overrides_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """``--set FIELD=VALUE`` (repeatable) into ``args.overrides``."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE", help=help
    )


def parse_field_overrides(pairs: list[str], known: set[str]) -> dict:
    try:
        return parse_field_pairs(pairs, known)
    except ValueError as error:
        raise SystemExit(str(error)) from None
