"""The number and table formatters the model card and the run summary share."""

from __future__ import annotations

import pytest
from starcoder_pipeline.formatting import (
    format_bytes,
    format_count,
    format_duration,
    format_metric,
    format_share,
    markdown_table,
)


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [
        (None, "?"),
        (10, "10 B"),
        (2_000, "2.0 kB"),
        (358_252_996, "358.3 MB"),
        (2.3e12, "2,300.0 GB"),
    ],
)
def test_bytes_use_decimal_units(num_bytes, text):
    assert format_bytes(num_bytes) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "?"), (9.6, "10 s"), (440.4, "7 min 20 s"), (7300, "2 h 1 min")]
)
def test_durations_read_as_hours_minutes_seconds(seconds, text):
    assert format_duration(seconds) == text


def test_counts_metrics_and_shares():
    assert (format_count(1_638_400), format_count(None)) == ("1,638,400", "?")
    assert (format_metric(0.0125), format_metric(None)) == ("0.013", "?")
    assert (format_share(1, 3), format_share(1, 0)) == ("33.3%", "-")


def test_markdown_table_escapes_pipes_in_cells():
    assert (
        markdown_table(("Name", "n"), [("a|b", 1)]) == "| Name | n |\n| --- | --- |\n| a\\|b | 1 |"
    )
