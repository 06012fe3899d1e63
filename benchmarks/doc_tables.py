"""The docs' figure tables, rendered from the benchmarks' results files.

A table in ``docs/`` that quotes a benchmark sits between two markers::

    <!-- table pii_real_files/scores -->
    | ... |
    <!-- end table -->

and is exactly what :data:`RENDERERS` makes of ``benchmarks/results/<file>.json``.

    python benchmarks/doc_tables.py           # rewrite every marked table
    python benchmarks/doc_tables.py --check   # exit 1 where a doc differs (what the tests run)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(
    r"(<!-- table (?P<file>[\w.-]+)/(?P<table>[\w-]+) -->\n)(?P<body>.*?)(<!-- end table -->)",
    re.DOTALL,
)
PII_CLASSES = ("NAME", "EMAIL", "KEY", "PASSWORD", "IP_ADDRESS", "USERNAME", "ALL")
LEAK_CLASSES = ("EMAIL", "KEY", "PASSWORD", "IP_ADDRESS", "ALL")


def _row(cells: list) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list, rows: list[list]) -> str:
    lines = [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]
    return "\n".join(lines) + "\n"


def pii_scores(result: dict) -> str:
    """Overlap precision / recall / F1 per class and system; ``-``: no span of the class."""
    systems = result["systems"]
    gold = result["set"]["spans"] | {"ALL": sum(result["set"]["spans"].values())}
    rows = []
    for label in PII_CLASSES:
        cells = [f"{label} ({gold[label]})"]
        for scores in systems.values():
            s = scores["overlap"][label]
            found = s["tp"] + s["fp"]
            cells.append(
                "-" if not found else f"{s['precision']:.3f} / {s['recall']:.3f} / {s['f1']:.3f}"
            )
        rows.append(cells)
    return _table(["class (n)", *systems], rows)


def pii_leaks(result: dict) -> str:
    """Gold values left in the redacted text, and hard-negative windows changed."""
    systems = result["systems"]
    first = next(iter(systems.values()))
    rows = [
        [f"{label} ({first['leaks'][label]['gold']})"]
        + [s["leaks"][label]["leaked"] for s in systems.values()]
        for label in LEAK_CLASSES
    ]
    rows.append(
        [f"hard-negative windows changed (of {first['hard_negatives']})"]
        + [s["hard_negatives_changed"] for s in systems.values()]
    )
    return _table(["leaks (gold values left in the redacted text)", *systems], rows)


RENDERERS: dict[tuple[str, str], Callable[[dict], str]] = {
    ("pii_real_files", "scores"): pii_scores,
    ("pii_real_files", "leaks"): pii_leaks,
}


def render(file: str, table: str) -> str:
    result = json.loads((RESULTS / f"{file}.json").read_text())
    return RENDERERS[(file, table)](result)


def updated(text: str) -> str:
    """``text`` with every marked table rendered afresh."""

    def fill(match: re.Match) -> str:
        body = render(match["file"], match["table"])
        return f"{match.group(1)}{body}{match.group(5)}"

    return BLOCK.sub(fill, text)


def stale_docs() -> list[Path]:
    """The docs whose marked tables differ from their results files."""
    return [doc for doc in DOCS if doc.exists() and updated(doc.read_text()) != doc.read_text()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale docs, change nothing")
    args = parser.parse_args(argv)
    stale = stale_docs()
    if args.check:
        for doc in stale:
            print(f"{doc.relative_to(ROOT)}: a table differs from its results file")
        return 1 if stale else 0
    for doc in stale:
        doc.write_text(updated(doc.read_text()))
        print(f"rewrote {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
