"""The curation job on tiny corpora: 0, 1, 2, 3 and 17 files, and one where all are dropped.

Each run goes through every step (dedup included) on the session's Ray
cluster and must end with a report whose counts are exact. Most group-by
partitions of such runs receive no row at all.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from corpus_fixture import MIT, _near_copy, _stdlib

from ray_jobs import curate

pytestmark = pytest.mark.integration


def _js(seed: int) -> str:
    """A distinct JavaScript module: its names come from ``seed``."""
    rng = random.Random(seed)
    names = [f"value{rng.randrange(10**6)}" for _ in range(40)]
    pairs = enumerate(zip(names, names[1:], strict=False))
    body = "".join(f"  const {a} = {b} * {i} + 1;\n" for i, (a, b) in pairs)
    return f"export function compute{seed}(input) {{\n{body}  return input;\n}}\n"


def _go(seed: int) -> str:
    rng = random.Random(seed)
    lines = "".join(f"\tx{i} := {rng.randrange(10**6)} + {i}\n" for i in range(80))
    return f"package main\n\nfunc run{seed}() int {{\n{lines}\treturn 0\n}}\n"


def _repo(root: Path, name: str, files: dict[str, str], licensed: bool = True) -> None:
    for path, text in {**files, **({"LICENSE": MIT} if licensed else {})}.items():
        (root / name / path).parent.mkdir(parents=True, exist_ok=True)
        (root / name / path).write_text(text, encoding="utf-8")


def _seventeen(root: Path) -> None:
    """17 files in 3 repos and 4 languages: 1 exact and 2 near duplicates."""
    wrap, scanner = _stdlib("textwrap.py"), _stdlib("json/scanner.py")
    _repo(root, "one", {
        "wrap.py": wrap, "scanner.py": scanner, "decoder.py": _stdlib("json/decoder.py"),
        "encoder.py": _stdlib("json/encoder.py"), "a.js": _js(1), "b.js": _js(2),
    })  # fmt: skip
    _repo(root, "two", {
        "vendor/scanner.py": scanner,  # exact
        "vendor/wrap.py": _near_copy(wrap),  # near
        "c.js": _js(3), "d.js": _js(4),
        "main.go": _go(1), "util.go": _go(2), "tool.go": _near_copy(_go(3)),
    })  # fmt: skip
    _repo(root, "three", {
        "go/tool.go": _go(3).replace("x2 :=", "y2 :="),  # near tool.go
        "colorsys.py": _stdlib("colorsys.py"), "e.js": _js(5),
        "lib.rs": "pub fn add(left: u64, right: u64) -> u64 {\n    left + right\n}\n",
    })  # fmt: skip


CASES = {
    # name: (build the corpus, files in, kept, drop reasons)
    "0_files": (lambda root: None, 0, 0, {}),
    "1_file": (
        lambda root: _repo(root, "solo", {"main.py": _stdlib("colorsys.py")}),
        2, 1, {"language:unknown": 1},
    ),
    "2_files": (  # the report: one Python and one JavaScript repo, MIT each
        lambda root: (
            _repo(root, "py", {"main.py": _stdlib("colorsys.py")}),
            _repo(root, "js", {"index.js": _js(0)}),
        ),
        4, 2, {"language:unknown": 2},
    ),
    "3_files": (
        lambda root: (
            _repo(root, "py", {"main.py": _stdlib("colorsys.py")}),
            _repo(root, "fork", {"main.py": _stdlib("colorsys.py")}),
            _repo(root, "js", {"index.js": _js(0)}),
        ),
        6, 2, {"language:unknown": 3, "dedup:exact": 1},
    ),
    "17_files": (_seventeen, 20, 14, {"language:unknown": 3, "dedup:exact": 1, "dedup:near": 2}),
    "all_dropped_before_dedup": (
        lambda root: _repo(root, "unlicensed", {"a.py": _stdlib("colorsys.py"), "b.js": _js(0)},
                           licensed=False),
        2, 0, {"license:no_license": 2},
    ),
}  # fmt: skip


def _reasons(report: dict) -> dict[str, int]:
    return {
        reason: count["files"]
        for stage in report["stages"].values()
        for reason, count in stage["reasons"].items()
    }


@pytest.mark.parametrize("case", CASES)
def test_small_corpora_finish_with_exact_reports(ray_cluster, tmp_path, case):
    build, files_in, kept, reasons = CASES[case]
    corpus = tmp_path / "repos"
    corpus.mkdir()
    build(corpus)
    output = tmp_path / "out"
    assert curate.main([f"--source=directory:{corpus}", f"--output={output}"]) == 0

    report = json.loads((output / "report.json").read_text())
    assert report["totals"]["in"]["files"] == files_in
    assert report["totals"]["kept"]["files"] == kept
    assert report["totals"]["dropped"]["files"] == files_in - kept
    assert _reasons(report) == reasons
    assert not (output / "_work").exists()
