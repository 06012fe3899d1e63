"""Curate raw code into clean, deduplicated, decontaminated Parquet (StarCoder, section 3).

    python ray_jobs/curate.py                                  # the machine's own source trees
    python ray_jobs/curate.py --source directory:/data/repos --output outputs/curated
    python ray_jobs/curate.py --source parquet:/data/the-stack-smol/data --source hf:/data/saved
    ray job submit --working-dir . -- python ray_jobs/curate.py --source archive:/data/tarballs

Outputs under --output: ``data/language=<lang>/*.parquet`` (kept files),
``dropped/*.parquet`` (every dropped file with its reason, no content),
``report.json``, ``language_mix.png``. Steps are checkpointed, so a rerun
with the same arguments resumes; another config is refused (see
``starcoder_data.run_dir``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from starcoder_data.benchmark_data import fetch_benchmarks
from starcoder_data.curation import (
    DEDUP_DECISION,
    DEDUP_READ_COLUMNS,
    DOC_ID,
    DROP_ROW_BYTES,
    STATUS,
    CurationConfig,
    SourceSpec,
    apply_dedup_decisions,
    code_stages,
    curate_repo,
    curate_stack_file,
    curate_text_source,
    dropped_rows,
    kept_rows,
    live_signature_rows,
    mark_dedup_drops,
    stack_stages,
    status_rows,
    text_stages,
)
from starcoder_data.decontamination import (
    DecontaminationConfig,
    benchmark_names,
    decontamination_patterns,
    removed_per_benchmark,
)
from starcoder_data.dedup import estimated_bytes
from starcoder_data.jobs import CurateJob
from starcoder_data.licenses import LicenseConfig
from starcoder_data.notebooks import JUPYTER_STRUCTURED
from starcoder_data.optout import OptOutConfig, load_optout_list
from starcoder_data.readers import (
    STACK_KINDS,
    RepoSpec,
    StackFile,
    StackSourceError,
    check_stack_source,
    discover_repos,
)
from starcoder_data.report import (
    Count,
    CurationReport,
    build_report,
    format_report,
    plot_language_mix,
)
from starcoder_data.run_dir import RunConflictError, RunDirectory
from starcoder_data.schema import (
    ACCOUNT_COLUMNS,
    DROP_REASON,
    LANGUAGE,
    SIZE,
    raw_table,
)
from starcoder_data.stage import apply_stages
from starcoder_jobs.config import parse_config
from starcoder_jobs.ray_runtime import init_ray

REPO_KINDS = ("local", "directory", "folder", "git", "archive")
STEP_FILE_BYTES = 128 << 20  # the Parquet files the steps hand each other: at least this big


def recipe(job: CurateJob) -> CurationConfig:
    """The curation recipe a job runs: its sources, opt-out list, license policy, benchmarks."""
    optout = OptOutConfig()
    if job.optout:
        optout = OptOutConfig(
            path=str(Path(job.optout).resolve()), entries=load_optout_list(job.optout)
        )
    config = CurationConfig(
        sources=tuple(SourceSpec.parse(text) for text in job.sources),
        max_repos=job.max_repos,
        optout=optout,
        license=LicenseConfig(policy=job.license_policy),
        trust_source_licenses=job.source_licenses == "trust",
        decontamination=DecontaminationConfig(
            extra_benchmarks=tuple(str(Path(f).resolve()) for f in job.decontaminate)
        ),
    )
    benchmark_names(config.decontamination)  # fail before any work on clashing names
    return config


def parse_args(argv: list[str] | None) -> CurateJob:
    return parse_config(CurateJob, argv, __doc__.split("\n\n")[0], check=recipe)


def _step(title: str):
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def _repo_specs(config: CurationConfig) -> list[RepoSpec]:
    specs = []
    for source in config.sources:
        if source.kind in REPO_KINDS:
            found = discover_repos(source.kind, source.location)
            specs.extend(found[: config.max_repos] if config.max_repos else found)
    return specs


def _stack_files(config: CurationConfig) -> list[StackFile]:
    """The data files of The Stack sources (``--max-repos`` caps the files of each).

    Listing checks each source's layout: a missing path or an unknown schema
    raises :class:`StackSourceError` before any Ray work.
    """
    files = []
    for source in config.sources:
        if source.kind in STACK_KINDS:
            found = check_stack_source(source.kind, source.location)
            files.extend(found[: config.max_repos] if config.max_repos else found)
    return files


def read_and_filter(config: CurationConfig, patterns, out: Path) -> None:
    """Step 1: read every source and run the row-wise stages; write all rows, dropped too."""
    import ray

    specs = _repo_specs(config)
    stack_files = _stack_files(config)
    print(
        f"{len(specs)} repositories and {len(stack_files)} Stack data files "
        f"from {len(config.sources)} source(s)",
        flush=True,
    )
    stages = code_stages(config, patterns)

    def curate_repos(batch: dict) -> object:
        for spec_json in batch["spec"]:
            yield from curate_repo(RepoSpec(**json.loads(spec_json)), config, stages)

    datasets = []
    if specs:
        items = [{"spec": json.dumps(asdict(spec))} for spec in specs]
        ds = ray.data.from_items(items, override_num_blocks=min(len(items), 256))
        datasets.append(ds.map_batches(curate_repos, batch_size=1, batch_format="numpy"))
    if stack_files:
        datasets.append(_stack_dataset(config, patterns, stack_files))
    text_sources = [s for s in config.sources if s.kind in ("issues", "commits")]
    if text_sources:
        t_stages = text_stages(config, patterns)

        def curate_texts(batch: dict) -> object:
            for source_json in batch["source"]:
                yield from curate_text_source(
                    SourceSpec(**json.loads(source_json)), config, t_stages
                )

        items = [{"source": json.dumps(asdict(s))} for s in text_sources]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        datasets.append(ds.map_batches(curate_texts, batch_size=1, batch_format="numpy"))
    if not datasets:  # sources that hold no repository: an empty run, not an error
        empty = apply_stages(raw_table([]), stages)
        datasets.append(ray.data.from_arrow(empty))
    ds = datasets[0].union(*datasets[1:]) if len(datasets) > 1 else datasets[0]
    _write_parquet(ds, out)


def _stack_dataset(config: CurationConfig, patterns, files: list[StackFile]):
    """One data file of The Stack per task, as one repository is for the repository readers."""
    import ray

    stages = stack_stages(config, patterns)

    def curate_files(batch: dict) -> object:
        for file_json in batch["file"]:
            yield from curate_stack_file(StackFile(**json.loads(file_json)), config, stages)

    items = [{"file": json.dumps(asdict(f))} for f in files]
    ds = ray.data.from_items(items, override_num_blocks=min(len(items), 256))
    return ds.map_batches(curate_files, batch_size=1, batch_format="numpy")


def _write_parquet(ds, out: Path, like: Path | None = None) -> None:
    """``ds.write_parquet``, plus an empty file with the schema when ``ds`` has no rows.

    Ray Data writes no file for no rows; the next step must still find the
    columns: those of ``ds`` or, where no block told them, of ``like``'s files.
    """
    ds = ds.materialize()
    # One file per block would leave hundreds of small files (a block per repository
    # batch), and every later read pays Ray Data's cost per file.
    ds.write_parquet(str(out), min_bytes_per_file=STEP_FILE_BYTES)
    if not any(out.glob("*.parquet")):
        schema = ds.schema()
        if schema is not None:
            schema = schema.base_schema
        else:
            schema = pq.read_schema(next(like.glob("*.parquet")))
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), out / "empty.parquet")


def find_duplicates_step(config: CurationConfig, filtered: Path, work: Path, out: Path) -> None:
    """Step 2: exact then near duplicates among the live rows -> (doc_id, drop_reason)."""
    import pyarrow.dataset as pads
    import ray
    from starcoder_data.dedup.ray_dedup import drops_from_parquet, find_duplicates_of_signatures

    # the signatures step 1 computed: ~1 KiB a file, the content is not read again
    prepare = partial(live_signature_rows, num_perm=config.dedup.num_perm)
    files = pads.dataset(str(filtered), format="parquet").count_rows()  # from the footers
    if estimated_bytes(files, config.dedup.num_perm) <= config.dedup.local_memory_bytes:
        drops = drops_from_parquet(str(filtered), DEDUP_READ_COLUMNS, prepare, config.dedup)
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(drops, out / "drops.parquet")
        return
    rows = ray.data.read_parquet(str(filtered), columns=DEDUP_READ_COLUMNS)
    rows = rows.map_batches(prepare, batch_format="pyarrow")
    drops = find_duplicates_of_signatures(rows, config.dedup, str(work))
    drops.write_parquet(str(out))


def mark_duplicates(
    filtered: Path, drops: Path, partitions: int, config: CurationConfig, out: Path
) -> None:
    """Step 3: join the dedup decisions back onto every row.

    A drop list that fits ``config.dedup.local_memory_bytes`` goes to every
    block with its batch function (no shuffle); a bigger one is joined.
    """
    import ray

    rows = ray.data.read_parquet(str(filtered))
    decisions = ray.data.read_parquet(str(drops)) if any(drops.glob("*.parquet")) else None
    count = decisions.count() if decisions is not None else 0
    if count * DROP_ROW_BYTES <= config.dedup.local_memory_bytes:
        table = decisions.to_arrow_refs() if count else []
        table = pa.concat_tables(ray.get(table)) if count else None
        marked = rows.map_batches(
            mark_dedup_drops, batch_format="pyarrow", fn_kwargs={"drops": table}
        )
        _write_parquet(marked, out, like=filtered)
        return
    decisions = decisions.rename_columns({DROP_REASON: DEDUP_DECISION})
    joined = rows.join(decisions, join_type="left_outer", num_partitions=partitions, on=(DOC_ID,))
    marked = joined.map_batches(apply_dedup_decisions, batch_format="pyarrow")
    _write_parquet(marked, out, like=filtered)


def write_kept_by_language(batch: pa.Table, folder: str) -> pa.Table:
    """Write a batch's kept rows as ``<folder>/language=<lang>/part-<id>.parquet``; the files.

    Unlike Ray's ``partition_cols``, ``language`` stays a column inside the
    files, so readers that ignore folder names (``datasets.load_dataset("parquet")``)
    see it; as ``string``, the type hive partitioning infers from the folder,
    so readers that merge both agree. A file is named by its rows' smallest
    doc id: a retried task rewrites the same file instead of adding one.
    """
    import pyarrow.compute as pc

    written = []
    for language in pc.unique(batch[LANGUAGE]).to_pylist():
        part = batch.filter(pc.equal(batch[LANGUAGE], language))
        kept = kept_rows(part)
        if kept.num_rows == 0:
            continue
        index = kept.schema.get_field_index(LANGUAGE)
        kept = kept.set_column(index, LANGUAGE, kept[LANGUAGE].cast(pa.string()))
        first = str(pc.min(part.filter(pc.is_null(part[DROP_REASON]))[DOC_ID]).as_py())
        name = hashlib.sha256(first.encode()).hexdigest()[:16]
        path = Path(folder) / f"{LANGUAGE}={language}" / f"part-{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(kept, path)
        written.append(str(path))
    return pa.table({"file": pa.array(written, pa.string())})


def write_outputs(final: Path, out: Path, _marker_dir: Path) -> None:
    """Step 4: kept files by language, and the account of dropped files."""
    import ray

    for folder in (out / "data", out / "dropped"):
        shutil.rmtree(folder, ignore_errors=True)  # what an interrupted attempt left
    rows = ray.data.read_parquet(str(final))
    written = rows.map_batches(
        write_kept_by_language,
        batch_size=None,
        batch_format="pyarrow",
        fn_kwargs={"folder": str(out / "data")},
    )
    written.materialize()
    dropped = ray.data.read_parquet(str(final)).select_columns([*ACCOUNT_COLUMNS])
    dropped.map_batches(dropped_rows, batch_format="pyarrow").write_parquet(str(out / "dropped"))


def _counts(path: Path, by_status: bool) -> list[dict]:
    """Files and bytes per language (and status) of a step's Parquet, streamed on the driver.

    Three small columns, read batch by batch with pyarrow: bounded memory at any
    size, and none of a distributed group-by's fixed cost.
    """
    import pyarrow.dataset as pads

    keys = [LANGUAGE, STATUS] if by_status else [LANGUAGE]
    totals: dict[tuple, list[int]] = {}
    scanner = pads.dataset(str(path), format="parquet").scanner(
        columns=[LANGUAGE, SIZE, DROP_REASON], batch_size=1 << 16
    )
    for batch in scanner.to_batches():
        table = status_rows(pa.Table.from_batches([batch]))
        grouped = table.group_by(keys, use_threads=False).aggregate(
            [([], "count_all"), (SIZE, "sum")]
        )
        for row in grouped.to_pylist():
            key = tuple(row[k] for k in keys)
            counts = totals.setdefault(key, [0, 0])
            counts[0] += row["count_all"]
            counts[1] += row[f"{SIZE}_sum"] or 0
    return [
        dict(zip(keys, key, strict=True)) | {"files": files, "bytes": size}
        for key, (files, size) in sorted(totals.items(), key=lambda item: str(item[0]))
    ]


def summarize(
    config: CurationConfig,
    filtered: Path,
    final: Path,
    out: Path,
    seconds: float,
    step_seconds: dict[str, float],
) -> CurationReport:
    inputs = {
        r[LANGUAGE]: Count(int(r["files"]), int(r["bytes"] or 0)) for r in _counts(filtered, False)
    }
    counts = [{**r, "bytes": r["bytes"] or 0} for r in _counts(final, True)]
    # A converted notebook is one row per form; the extra forms are records, not files read.
    forms = int(config.notebooks.emit_scripts) + int(config.notebooks.emit_structured)
    added = inputs.get(JUPYTER_STRUCTURED, Count()).files * (forms - 1)
    removed = removed_per_benchmark(config.decontamination, counts)
    report = build_report(
        counts,
        inputs,
        files_read=sum(c.files for c in inputs.values()) - added,
        notebook_records_added=added,
        seconds=round(seconds, 1),
        step_seconds=step_seconds,
        decontamination={name: Count(**count) for name, count in removed.items()},
        config=config,
    )
    plot_language_mix(report, out / "language_mix.png")
    report.write(out)
    return report


def run(job: CurateJob) -> CurationReport:
    """Curate ``job.sources`` into ``job.output``; the report (resumes an interrupted run)."""
    config = recipe(job)
    _stack_files(config)  # a missing Stack source or an unknown layout: an error before any work
    out = Path(job.output).resolve()
    run_dir = RunDirectory(out)
    resumed = run_dir.claim(config.as_dict(), overwrite=job.overwrite)
    report = CurationReport.read(out) if resumed else None
    if report is not None:
        print(f"{out} already holds this run; its report:\n")
        print(format_report(report))
        return report
    if resumed:
        print(f"resuming the run in {out}")
    init_ray(job.address, job.num_cpus)
    started = time.perf_counter()

    t = _step("benchmark data for decontamination")
    patterns = decontamination_patterns(
        fetch_benchmarks(job.benchmark_cache, config.decontamination.extra_benchmarks),
        config.decontamination,
    )
    print(f"{len(patterns)} patterns ({time.perf_counter() - t:.1f}s)")

    work = run_dir.step("_work")
    filtered, duplicates, final = work / "filtered", work / "duplicates", work / "final"
    steps = [
        (filtered, "read, decode, language, license, notebooks, quality, decontamination",
         partial(read_and_filter, config, patterns)),
        (duplicates, "exact and near deduplication",
         partial(find_duplicates_step, config, filtered, work / "dedup")),
        (final, "mark duplicates",
         partial(mark_duplicates, filtered, duplicates, job.join_partitions, config)),
        (work / "outputs", "write kept files by language and the dropped-file account",
         partial(write_outputs, final, out)),
    ]  # fmt: skip
    step_seconds = {}  # this attempt's time per step (a resumed run leaves out finished ones)
    for path, title, step in steps:
        name = str(path.relative_to(out))
        if run_dir.is_done(name):
            print(f"\n== {title}: done in an earlier attempt, skipped")
            continue
        t = _step(title)
        step(run_dir.start(name))
        run_dir.finish(name)
        step_seconds[path.name] = round(time.perf_counter() - t, 1)
        print(f"({step_seconds[path.name]}s)")

    report = summarize(config, filtered, final, out, time.perf_counter() - started, step_seconds)
    shutil.rmtree(work)  # intermediate data; report.json now marks the run complete
    print("\n" + format_report(report))
    outputs = {"kept data": "data", "report": "report.json", "chart": "language_mix.png"}
    for label, path in outputs.items():
        print(f"{label + ':':11}{out / path}")
    return report


def main(argv: list[str] | None = None) -> int:
    job = parse_args(argv)
    try:
        run(job)
    except (RunConflictError, StackSourceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
