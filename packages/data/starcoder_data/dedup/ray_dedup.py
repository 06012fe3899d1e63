"""Exact and near deduplication of a Ray Dataset: the thin Ray Data adapter.

Every decision is a pure Arrow function of the ``dedup`` modules; this module
only wires them into Ray Data: one group-by on the content hash (exact
duplicates), ``map_batches`` from files to band buckets, one group-by on the
bucket key (candidate edges), then large-star / small-star rounds, each a
group-by on ``src``, until no edge changes. Nothing is collected on the
driver but counts.

Every step writes its output as Parquet under ``work_dir`` and then a
``_COMPLETE`` marker holding its counts; a rerun with the same ``work_dir``
reuses every completed step, so a killed run resumes from its last completed
round. ``work_dir`` must be visible to the driver and every worker.

Exact duplicates also go through MinHash: they share their twin's signature,
so they join its cluster without changing which files a cluster links or
its smallest doc id, and this spares a shuffle of the whole content. The
final drop list names them ``dedup:exact``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable

import pyarrow as pa
import ray

from .components import (
    CHANGED,
    EDGE_SCHEMA,
    SRC,
    STEP_SCHEMA,
    both_directions,
    component_roots,
    large_star_edges,
    small_star_edges,
)
from .config import DedupConfig
from .exact import (
    DOC_ID,
    DROP_SCHEMA,
    NEAR_REASON,
    SCOPE,
    drop_table,
    exact_duplicates,
    one_reason_per_file,
)
from .lsh import BAND_KEY, bucket_edges, bucket_rows
from .minhash import make_permutations

_MARKER = "_COMPLETE"


def find_duplicates(ds: ray.data.Dataset, config: DedupConfig, work_dir: str) -> ray.data.Dataset:
    """``doc_id`` and ``drop_reason`` (``dedup:exact`` / ``dedup:near``) of the files to drop.

    ``ds`` holds the live files with ``doc_id`` (int64, unique),
    ``content_hash`` and ``content``. Of the files sharing a content hash,
    or linked by near-duplicate candidate pairs (MinHash LSH at
    ``config.threshold``), the one with the smallest ``doc_id`` is kept.
    """
    os.makedirs(work_dir, exist_ok=True)
    exact = _checkpoint(work_dir, "exact", DROP_SCHEMA, lambda: _exact_drops(ds, config))
    edges = _checkpoint(work_dir, "edges", EDGE_SCHEMA, lambda: _candidate_edges(ds, config))
    if _marker(work_dir, "edges")["rows"] == 0:  # no near-duplicate candidates at all
        near = ray.data.from_arrow(DROP_SCHEMA.empty_table())
    else:
        roots = _components(edges, config, work_dir)
        near = roots.map_batches(_near_drops, batch_format="pyarrow")
    return _checkpoint(work_dir, "drops", DROP_SCHEMA, lambda: _merge_drops(exact, near, config))


def _merge_drops(
    exact: ray.data.Dataset, near: ray.data.Dataset, config: DedupConfig
) -> ray.data.Dataset:
    grouped = exact.union(near).groupby(DOC_ID, num_partitions=config.shuffle_partitions)
    return grouped.map_groups(one_reason_per_file, batch_format="pyarrow")


def _exact_drops(ds: ray.data.Dataset, config: DedupConfig) -> ray.data.Dataset:
    files = ds.select_columns([DOC_ID, "content_hash", *_scope(config)])
    if config.scope_column:
        files = files.rename_columns({config.scope_column: SCOPE})
    keys = ["content_hash", SCOPE] if config.scope_column else "content_hash"
    grouped = files.groupby(keys, num_partitions=config.shuffle_partitions)
    return grouped.map_groups(exact_duplicates, batch_format="pyarrow")


def _scope(config: DedupConfig) -> list[str]:
    return [config.scope_column] if config.scope_column else []


def _candidate_edges(ds: ray.data.Dataset, config: DedupConfig) -> ray.data.Dataset:
    files = ds.select_columns([DOC_ID, "content", *_scope(config)])
    if config.scope_column:
        files = files.rename_columns({config.scope_column: SCOPE})
    buckets = files.map_batches(
        bucket_rows,
        batch_size=config.signature_batch_size,
        batch_format="pyarrow",
        fn_kwargs={
            "permutations": make_permutations(config.num_perm, config.seed),
            "ngram": config.ngram,
            "shape": config.band_shape,
        },
    )
    grouped = buckets.groupby(BAND_KEY, num_partitions=config.shuffle_partitions)
    return grouped.map_groups(bucket_edges, batch_format="pyarrow")


def _components(edges: ray.data.Dataset, config: DedupConfig, work_dir: str) -> ray.data.Dataset:
    """Alternate large-star and small-star rounds until neither changes an edge."""
    for round_index in range(config.max_rounds):
        large = _star_step(
            edges, work_dir, f"round_{round_index:04d}_large", large=True, config=config
        )
        small = _star_step(
            large, work_dir, f"round_{round_index:04d}_small", large=False, config=config
        )
        changed = (
            _marker(work_dir, f"round_{round_index:04d}_large")["changed"]
            + _marker(work_dir, f"round_{round_index:04d}_small")["changed"]
        )
        edges = small.select_columns([SRC, "dst"])
        if changed == 0:
            return edges.map_batches(component_roots, batch_format="pyarrow")
    raise RuntimeError(f"connected components did not converge in {config.max_rounds} rounds")


def _star_step(
    edges: ray.data.Dataset, work_dir: str, name: str, *, large: bool, config: DedupConfig
) -> ray.data.Dataset:
    def run() -> ray.data.Dataset:
        step_input = edges.map_batches(both_directions, batch_format="pyarrow") if large else edges
        grouped = step_input.groupby(SRC, num_partitions=config.shuffle_partitions)
        step = large_star_edges if large else small_star_edges
        return grouped.map_groups(step, batch_format="pyarrow")

    return _checkpoint(work_dir, name, STEP_SCHEMA, run, count_changed=True)


def _near_drops(roots: pa.Table) -> pa.Table:
    return drop_table(roots[SRC].to_numpy(), NEAR_REASON)


def _checkpoint(
    work_dir: str,
    name: str,
    schema: pa.Schema,
    build: Callable[[], ray.data.Dataset],
    *,
    count_changed: bool = False,
) -> ray.data.Dataset:
    """The Parquet output of step ``name``: reused if complete, else built and written."""
    path = os.path.join(work_dir, name)
    if not os.path.exists(os.path.join(path, _MARKER)):
        shutil.rmtree(path, ignore_errors=True)
        data = build().materialize()
        data.write_parquet(path)
        os.makedirs(path, exist_ok=True)  # an empty result writes no files, not even the folder
        counts = {"rows": data.count()}
        if count_changed:
            counts["changed"] = int(data.sum(CHANGED) or 0) if counts["rows"] else 0
        with open(os.path.join(path, _MARKER), "w") as marker:
            json.dump(counts, marker)
    if _marker(work_dir, name)["rows"] == 0:
        return ray.data.from_arrow(schema.empty_table())
    return ray.data.read_parquet(path, schema=schema)


def _marker(work_dir: str, name: str) -> dict:
    with open(os.path.join(work_dir, name, _MARKER)) as marker:
        return json.load(marker)
