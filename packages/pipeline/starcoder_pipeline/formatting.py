"""Numbers and tables for people: the formatters the model card and the run summary share.

A value that is unknown (``None``) prints as ``?``; bytes use decimal units
(1 MB = 10^6 bytes), as the Hub and the StarCoder paper do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

UNKNOWN = "?"


def format_count(value: int | None) -> str:
    """``1234567`` -> ``1,234,567``."""
    return UNKNOWN if value is None else f"{value:,}"


def format_bytes(num_bytes: int | None) -> str:
    """``2_334_323_724`` -> ``2.3 GB``: decimal units, one decimal; below 1 kB in bytes."""
    if num_bytes is None:
        return UNKNOWN
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if num_bytes >= scale:
            return f"{num_bytes / scale:,.1f} {unit}"
    return f"{num_bytes:,} B"


def format_metric(value: float | None) -> str:
    """A score or a loss, three decimals (pass@1 0.0125 -> ``0.013``)."""
    return UNKNOWN if value is None else f"{value:.3f}"


def format_duration(seconds: float | None) -> str:
    """``440.4`` -> ``7 min 20 s``; from an hour on, ``2 h 1 min``."""
    if seconds is None:
        return UNKNOWN
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def format_share(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole`` (``-`` when there is no whole)."""
    return f"{100 * part / whole:.1f}%" if whole else "-"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A Markdown table; ``|`` inside a cell is escaped so that no value can break it."""

    def line(cells: Iterable) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])
