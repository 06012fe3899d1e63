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
from functools import partial

import pyarrow as pa
import ray

from .components import (
    CHANGED,
    EDGE_SCHEMA,
    SRC,
    STEP_SCHEMA,
    both_directions,
    component_roots,
    connected_components,
    large_star_edges,
    small_star_edges,
)
from .config import DedupConfig
from .exact import DOC_ID, DROP_SCHEMA, NEAR_REASON, SCOPE, drop_table, one_reason_per_file
from .local import (
    EXACT_KEY,
    bucket_group_edges,
    bucket_rows_of,
    duplicates_in_memory,
    estimated_bytes,
    exact_drops,
    signature_rows,
    signature_schema,
)
from .lsh import BAND_KEY
from .minhash import make_permutations

EDGE_BYTES = 64  # an edge in the one-task components: two int64 and numpy working copies
_MARKER = "_COMPLETE"


def find_duplicates(ds: ray.data.Dataset, config: DedupConfig, work_dir: str) -> ray.data.Dataset:
    """``doc_id`` and ``drop_reason`` (``dedup:exact`` / ``dedup:near``) of the files to drop.

    ``ds`` holds the live files with ``doc_id`` (int64, unique),
    ``content_hash`` and ``content``. Of the files sharing a content hash,
    or linked by verified near-duplicate pairs (MinHash LSH, each candidate
    pair's estimate at least ``config.threshold``), the one with the smallest
    ``doc_id`` is kept. Any number of files, none included, is fine.
    """
    return find_duplicates_of_signatures(
        ds, config, work_dir, signatures=lambda: _signature_rows(ds, config)
    )


def find_duplicates_of_signatures(
    rows: ray.data.Dataset,
    config: DedupConfig,
    work_dir: str,
    *,
    signatures: Callable[[], ray.data.Dataset] | None = None,
) -> ray.data.Dataset:
    """:func:`find_duplicates` from signature rows computed beforehand.

    ``rows`` has the columns of :func:`~.local.signature_schema` (one row per
    live file, e.g. from :func:`~.local.signature_columns` in a job's filter
    step, with the same ``config``); ``signatures``, if given, builds them instead.
    """
    os.makedirs(work_dir, exist_ok=True)
    schema = signature_schema(config.num_perm)
    rows = _checkpoint(work_dir, "signatures", schema, signatures or (lambda: rows))
    files = _marker(work_dir, "signatures")["rows"]
    if estimated_bytes(files, config.num_perm) <= config.local_memory_bytes:
        decide = partial(duplicates_in_memory, shape=config.band_shape, threshold=config.threshold)
        return _checkpoint(work_dir, "drops", DROP_SCHEMA, lambda: _in_one_task(rows, decide))
    exact = _checkpoint(work_dir, "exact", DROP_SCHEMA, lambda: _exact_drops(rows, config))
    edges = _checkpoint(work_dir, "edges", EDGE_SCHEMA, lambda: _candidate_edges(rows, config))
    num_edges = _marker(work_dir, "edges")["rows"]
    if num_edges == 0:  # no verified near-duplicate pair at all
        near = ray.data.from_arrow(DROP_SCHEMA.empty_table())
    else:
        if num_edges * EDGE_BYTES <= config.local_memory_bytes:
            roots = _in_one_task(edges, connected_components)
        else:
            roots = _components(edges, config, work_dir)
        near = roots.map_batches(_near_drops, batch_format="pyarrow")
    return _checkpoint(work_dir, "drops", DROP_SCHEMA, lambda: _merge_drops(exact, near, config))


def drops_from_parquet(
    path: str,
    columns: list[str],
    prepare: Callable[[pa.Table], pa.Table],
    config: DedupConfig,
) -> pa.Table:
    """The drop list of signature rows stored in Parquet, decided in one task.

    For rows known to fit ``config.local_memory_bytes``: one worker reads
    ``columns`` of every file under ``path`` with pyarrow (threads, no Ray
    Data read tasks: on hundreds of small files those cost seconds each
    round), ``prepare`` turns them into signature rows, and the in-memory
    path decides.
    """
    return ray.get(_decide_from_parquet.remote(path, columns, prepare, config))


@ray.remote
def _decide_from_parquet(path, columns, prepare, config: DedupConfig) -> pa.Table:
    import pyarrow.dataset as pads

    rows = prepare(pads.dataset(path, format="parquet").to_table(columns=columns))
    return duplicates_in_memory(rows, shape=config.band_shape, threshold=config.threshold)


def _in_one_task(ds: ray.data.Dataset, decide: Callable[[pa.Table], pa.Table]) -> ray.data.Dataset:
    """``decide`` applied to all of ``ds`` at once, in one worker task (not the driver)."""
    schema = ds.schema().base_schema if ds.schema() is not None else None
    ref = _run_on_whole.remote(decide, schema, *ds.to_arrow_refs())
    return ray.data.from_arrow_refs([ref])


@ray.remote
def _run_on_whole(decide: Callable[[pa.Table], pa.Table], schema, *tables: pa.Table) -> pa.Table:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return decide(schema.empty_table())
    return decide(pa.concat_tables(tables, promote_options="permissive"))


def _merge_drops(
    exact: ray.data.Dataset, near: ray.data.Dataset, config: DedupConfig
) -> ray.data.Dataset:
    grouped = exact.union(near).groupby(DOC_ID, num_partitions=config.shuffle_partitions)
    return grouped.map_groups(_guarded(one_reason_per_file, DROP_SCHEMA), batch_format="pyarrow")


def _signature_rows(ds: ray.data.Dataset, config: DedupConfig) -> ray.data.Dataset:
    files = ds.select_columns([DOC_ID, "content_hash", "content", *_scope(config)])
    if config.scope_column:
        files = files.rename_columns({config.scope_column: SCOPE})
    return files.map_batches(
        signature_rows,
        batch_size=config.signature_batch_size,
        batch_format="pyarrow",
        fn_kwargs={
            "permutations": make_permutations(config.num_perm, config.seed),
            "ngram": config.ngram,
        },
    )


def _exact_drops(rows: ray.data.Dataset, config: DedupConfig) -> ray.data.Dataset:
    keys = rows.select_columns([DOC_ID, EXACT_KEY])
    grouped = keys.groupby(EXACT_KEY, num_partitions=config.shuffle_partitions)
    return grouped.map_groups(_guarded(exact_drops, DROP_SCHEMA), batch_format="pyarrow")


def _scope(config: DedupConfig) -> list[str]:
    return [config.scope_column] if config.scope_column else []


def _candidate_edges(rows: ray.data.Dataset, config: DedupConfig) -> ray.data.Dataset:
    buckets = rows.map_batches(
        bucket_rows_of, batch_format="pyarrow", fn_kwargs={"shape": config.band_shape}
    )
    grouped = buckets.groupby(BAND_KEY, num_partitions=config.shuffle_partitions)
    return grouped.map_groups(
        bucket_group_edges, batch_format="pyarrow", fn_kwargs={"threshold": config.threshold}
    )


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
        return grouped.map_groups(_guarded(step, STEP_SCHEMA), batch_format="pyarrow")

    return _checkpoint(work_dir, name, STEP_SCHEMA, run, count_changed=True)


def _guarded(step: Callable[[pa.Table], pa.Table], schema: pa.Schema):
    """``step``, except that a group-by partition that received no rows gives no rows."""

    def run(table: pa.Table) -> pa.Table:
        return step(table) if table.num_rows else schema.empty_table()

    return run


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
