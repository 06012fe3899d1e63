"""Redact PII from curated Parquet with Ray Data (StarCoder, section 4).

    python ray_jobs/redact_pii.py --data outputs/curated/data --output outputs/redacted \\
        --model outputs/pii_ner/model
    python ray_jobs/redact_pii.py --data outputs/curated/data --output outputs/redacted \\
        --detector rules --spans

Reads the files, runs :class:`starcoder_pii.stage.PiiRedactor` in an actor
pool (the NER model loaded once per actor, windows of many files batched
into shared forward passes; on a GPU when the cluster has one), and writes
under --output:

* ``data/language=<lang>/*.parquet``: the same rows, ``content`` redacted, plus
  ``pii_status`` and ``pii_counts``;
* ``report.json``: files and bytes per status, spans replaced per class,
  files/s and MB/s;
* with ``--spans``, ``spans/*.parquet``: every replaced span (value included)
  for audit; keep it somewhere access-controlled.

Rows redacted by an earlier run pass through unchanged, so rerunning the job
on its own output changes nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from starcoder_jobs.config import parse_config
from starcoder_jobs.ray_runtime import init_ray, prepare_output
from starcoder_pii.jobs import RedactJob
from starcoder_pii.redact import RedactionConfig
from starcoder_pii.report import RedactionReport
from starcoder_pii.stage import (
    COUNTS,
    NEEDS_NO_MODEL,
    PASSED_THROUGH,
    SPANS,
    STATUS,
    PiiRedactor,
    RedactorConfig,
    summarise,
)

MB = 1e6


def parse_args(argv: list[str] | None) -> RedactJob:
    return parse_config(RedactJob, argv, __doc__.split("\n\n")[0], check=RedactJob.check)


def run(job: RedactJob) -> RedactionReport:
    """Redact ``job.data`` into ``job.output``; the report (also written as report.json)."""
    import ray

    detector = job.chosen_detector()

    data = Path(job.data)
    if not any(data.rglob("*.parquet")):
        raise SystemExit(f"error: no Parquet files under {data}")
    output = Path(job.output).resolve()
    prepare_output(output, job.overwrite)
    init_ray(job.address, job.num_cpus)
    gpus = ray.cluster_resources().get("GPU", 0)
    needs_model = detector not in NEEDS_NO_MODEL
    use_gpu = job.gpu == "on" or (job.gpu == "auto" and gpus > 0 and needs_model)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    actors = job.actors or (max(1, int(gpus)) if use_gpu else max(1, cpus // 2))
    if not use_gpu and cpus > 1:
        actors = min(actors, cpus - 1)  # CPU actors holding every CPU starve the reads
    config = RedactorConfig(
        detector=detector,
        model_dir=str(Path(job.model).resolve()) if job.model else None,
        device="cuda" if use_gpu else "cpu",
        veto=job.veto_list(),
        keep_spans=job.spans,
        redaction=RedactionConfig(classes=job.class_list()),
    )
    started = time.perf_counter()
    ds = ray.data.read_parquet(str(data.resolve()))  # hive: language=<lang>/ -> a column
    ds = ds.map_batches(
        PiiRedactor,
        fn_constructor_kwargs={"config": config},
        batch_size=job.batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=1 if use_gpu else 0,
        num_cpus=0 if use_gpu else 1,
    ).materialize()
    if job.spans:
        audit = [c for c in ("repo", "path", "content_hash", SPANS) if c in ds.columns()]
        ds.select_columns(audit).write_parquet(str(output / "spans"))
    stats = ds.select_columns([STATUS, COUNTS, "size", PASSED_THROUGH]).to_pandas()
    ds = ds.drop_columns([c for c in (SPANS, PASSED_THROUGH) if c in ds.columns()])
    partition = ["language"] if "language" in ds.columns() else None
    ds.write_parquet(str(output / "data"), partition_cols=partition)
    seconds = time.perf_counter() - started
    counts = summarise(
        list(stats[STATUS]),
        list(stats[COUNTS]),
        list(stats["size"].fillna(0)),
        list(stats[PASSED_THROUGH]),
    )
    report = RedactionReport(
        **counts,
        detector=detector,
        classes=job.class_list(),
        model=config.model_dir,
        device=config.device,
        actors=actors,
        seconds=round(seconds, 2),
        files_per_s=round(counts["files"] / seconds, 2),
        mb_per_s=round(counts["bytes"] / MB / seconds, 3),
    )
    report.write(output)
    print(report.format())
    return report


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
