"""find_duplicates on Ray Data: planted exact and near duplicates, and resuming."""

from __future__ import annotations

import hashlib
import os
import random
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from starcoder_data.dedup.ray_dedup import DedupConfig, find_duplicates

CONFIG = DedupConfig(shuffle_partitions=1, local_memory_bytes=0)  # distributed star rounds
# The three ways to the same decisions: all in one task; group-bys with components in one
# task (the edges fit, the signatures do not); group-bys and star rounds throughout.
PATHS = {
    "one_task": DedupConfig(),
    "one_task_components": DedupConfig(shuffle_partitions=3, local_memory_bytes=100_000),
    "star_rounds": DedupConfig(shuffle_partitions=3, local_memory_bytes=0),
}


def _file(rng: random.Random) -> list[str]:
    words = [f"name{i}" for i in range(2000)]
    return [
        f"def {rng.choice(words)}({rng.choice(words)}, {rng.choice(words)}):"
        f" return {rng.choice(words)} + {rng.choice(words)}"
        for _ in range(60)
    ]


def _edited(lines: list[str], rng: random.Random) -> list[str]:
    edited = lines.copy()
    for i in rng.sample(range(len(lines)), 3):
        edited[i] = f"x_{i} = compute({i})"
    return edited


def _corpus() -> tuple[pa.Table, dict[int, str]]:
    """40 distinct files (ids 0-39), near copies (100+), exact copies (200+), odd ones."""
    rng = random.Random(0)
    originals = {i: _file(rng) for i in range(40)}
    docs = {i: "\n".join(lines) for i, lines in originals.items()}
    expected = {}
    for i in range(5):
        docs[100 + i] = "\n".join(_edited(originals[i], rng))
        expected[100 + i] = "dedup:near"
    for i in range(5, 10):
        docs[200 + i] = docs[i]
        expected[200 + i] = "dedup:exact"
    docs[-7] = docs[10]  # an exact copy with a smaller id keeps the copy
    expected[10] = "dedup:exact"
    docs[110] = "\n".join(_edited(originals[10], rng))  # near the kept copy -7
    expected[110] = "dedup:near"
    docs[300], docs[301] = "+-*/", "+-*/ ()"  # no token: never near duplicates
    docs[302], docs[303] = "x = 1", "x = 1  "  # short, same tokens: near duplicates
    expected[303] = "dedup:near"
    ids = sorted(docs)
    table = pa.table(
        {
            "doc_id": pa.array(ids, pa.int64()),
            "content_hash": [hashlib.sha256(docs[i].encode()).hexdigest() for i in ids],
            "content": pa.array([docs[i] for i in ids], pa.large_string()),
        }
    )
    return table, expected


def _drops(ds) -> dict[int, str]:
    return {row["doc_id"]: row["drop_reason"] for row in ds.take_all()}


def _steps(work_dir) -> set[str]:
    return {name for name in os.listdir(work_dir) if name != "drops"}


@pytest.mark.integration
@pytest.mark.parametrize("path", PATHS)
def test_every_path_gives_the_same_decisions(ray_cluster, tmp_path, path):
    """The planted exact and near duplicates, whichever way; the star rounds also resume."""
    table, expected = _corpus()
    ds = ray_cluster.data.from_arrow(table).repartition(4)
    assert _drops(find_duplicates(ds, PATHS[path], str(tmp_path))) == expected
    rounds = {name for name in _steps(tmp_path) if name.startswith("round_")}
    assert (
        _steps(tmp_path)
        == {
            "one_task": {"signatures"},
            "one_task_components": {"signatures", "exact", "edges"},
            "star_rounds": {"signatures", "exact", "edges", *rounds},
        }[path]
    )
    assert bool(rounds) == (path == "star_rounds")
    if path == "star_rounds":  # killed while writing its last round, then resumed
        shutil.rmtree(tmp_path / "drops")
        os.remove(tmp_path / max(rounds) / "_COMPLETE")
        assert _drops(find_duplicates(ds, PATHS[path], str(tmp_path))) == expected
        assert {name for name in _steps(tmp_path) if name.startswith("round_")} == rounds


@pytest.mark.integration
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("files", [0, 1, 2])
def test_tiny_inputs_on_many_partitions(ray_cluster, tmp_path, path, files):
    """Most group-by partitions get no row at all: each must give an empty result."""
    table, _ = _corpus()
    pairs = table.filter(pc.is_in(table["doc_id"], pa.array([5, 205], pa.int64())))  # twins
    config = DedupConfig(shuffle_partitions=4, local_memory_bytes=PATHS[path].local_memory_bytes)
    ds = ray_cluster.data.from_arrow(pairs.slice(0, files))
    expected = {205: "dedup:exact"} if files == 2 else {}
    assert _drops(find_duplicates(ds, config, str(tmp_path))) == expected


@pytest.mark.integration
def test_a_corpus_without_duplicates_drops_nothing(ray_cluster, tmp_path):
    table, _ = _corpus()
    ids = table["doc_id"]
    distinct = table.filter(pc.and_(pc.greater_equal(ids, 0), pc.less(ids, 40)))  # originals
    ds = ray_cluster.data.from_arrow(distinct)
    assert _drops(find_duplicates(ds, CONFIG, str(tmp_path))) == {}
