"""Redact PII from curated Parquet with Ray Data (StarCoder, section 4).

    python ray_jobs/redact_pii.py --data outputs/curated/data --output outputs/redacted \\
        --model outputs/pii_ner/model
    python ray_jobs/redact_pii.py --data outputs/curated/data --output outputs/redacted \\
        --detector baseline --spans

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

import argparse
import json
import sys
import time
from pathlib import Path

from _cluster import init_ray, prepare_output
from starcoder_pii.redact import RedactionConfig
from starcoder_pii.spans import PII_CLASSES
from starcoder_pii.stage import (
    BASELINE,
    COUNTS,
    DETECTORS,
    LEARNED,
    PASSED_THROUGH,
    SPANS,
    STATUS,
    PiiRedactor,
    RedactorConfig,
    summarise,
)

MB = 1e6


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="outputs/curated/data", help="curated Parquet folder")
    parser.add_argument("--output", default="outputs/redacted", help="output folder")
    parser.add_argument(
        "--detector",
        choices=DETECTORS,
        default=None,
        help=f"default: {LEARNED} with --model, else {BASELINE}",
    )
    parser.add_argument("--model", default=None, help="NER model directory (HF format)")
    parser.add_argument("--spans", action="store_true", help="also write the spans for audit")
    parser.add_argument(
        "--classes",
        type=_classes,
        default=PII_CLASSES,
        help="comma-separated classes to replace (default: all six), e.g. to leave out USERNAME",
    )
    parser.add_argument(
        "--veto",
        type=_veto,
        default=(),
        help="with --detector learned: KEY and/or PASSWORD, comma-separated, to let the model "
        "drop rule-based candidates it scores below its stored threshold (default: none, "
        "every rule-based secret is redacted)",
    )
    parser.add_argument(
        "--actors", type=int, default=None, help="actor pool size (default: CPUs/2)"
    )
    parser.add_argument("--batch-size", type=int, default=64, help="files per actor call")
    parser.add_argument("--gpu", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--address", default=None, help="Ray cluster address")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local Ray")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
    args = parser.parse_args(argv)
    args.detector = args.detector or (LEARNED if args.model else BASELINE)
    if args.detector != BASELINE and not args.model:
        parser.error(f"--detector {args.detector} needs --model")
    if args.veto and args.detector != LEARNED:
        parser.error(f"--veto applies to --detector {LEARNED} only")
    return args


def _classes(value: str) -> tuple[str, ...]:
    chosen = tuple(c.strip() for c in value.split(",") if c.strip())
    unknown = sorted(set(chosen) - set(PII_CLASSES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"classes must be among {', '.join(PII_CLASSES)}")
    return chosen


def _veto(value: str) -> tuple[str, ...]:
    from starcoder_pii.learned import VERIFIED_CLASSES

    chosen = tuple(c.strip() for c in value.split(",") if c.strip())
    if set(chosen) - set(VERIFIED_CLASSES):
        raise argparse.ArgumentTypeError(f"veto classes must be among {VERIFIED_CLASSES}")
    return chosen


def run(args) -> dict:
    import ray

    data = Path(args.data)
    if not any(data.rglob("*.parquet")):
        raise SystemExit(f"error: no Parquet files under {data}")
    output = Path(args.output).resolve()
    prepare_output(output, args.overwrite)
    init_ray(args.address, args.num_cpus)
    gpus = ray.cluster_resources().get("GPU", 0)
    use_gpu = args.gpu == "on" or (args.gpu == "auto" and gpus > 0 and args.detector != BASELINE)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    actors = args.actors or (max(1, int(gpus)) if use_gpu else max(1, cpus // 2))
    if not use_gpu and cpus > 1:
        actors = min(actors, cpus - 1)  # CPU actors holding every CPU starve the reads
    config = RedactorConfig(
        detector=args.detector,
        model_dir=str(Path(args.model).resolve()) if args.model else None,
        device="cuda" if use_gpu else "cpu",
        veto=args.veto,
        keep_spans=args.spans,
        redaction=RedactionConfig(classes=args.classes),
    )
    started = time.perf_counter()
    ds = ray.data.read_parquet(str(data.resolve()))  # hive: language=<lang>/ -> a column
    ds = ds.map_batches(
        PiiRedactor,
        fn_constructor_kwargs={"config": config},
        batch_size=args.batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=1 if use_gpu else 0,
        num_cpus=0 if use_gpu else 1,
    ).materialize()
    if args.spans:
        audit = [c for c in ("repo", "path", "content_hash", SPANS) if c in ds.columns()]
        ds.select_columns(audit).write_parquet(str(output / "spans"))
    stats = ds.select_columns([STATUS, COUNTS, "size", PASSED_THROUGH]).to_pandas()
    ds = ds.drop_columns([c for c in (SPANS, PASSED_THROUGH) if c in ds.columns()])
    partition = ["language"] if "language" in ds.columns() else None
    ds.write_parquet(str(output / "data"), partition_cols=partition)
    seconds = time.perf_counter() - started
    report = summarise(
        list(stats[STATUS]),
        list(stats[COUNTS]),
        list(stats["size"].fillna(0)),
        list(stats[PASSED_THROUGH]),
    )
    report |= {
        "detector": args.detector,
        "classes": list(args.classes),
        "model": config.model_dir,
        "device": config.device,
        "actors": actors,
        "seconds": round(seconds, 2),
        "files_per_s": round(report["files"] / seconds, 2),
        "mb_per_s": round(report["bytes"] / MB / seconds, 3),
    }
    (output / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(format_report(report))
    return report


def format_report(report: dict) -> str:
    lines = [
        f"redacted {report['files']:,} files ({report['bytes'] / MB:,.1f} MB) with "
        f"{report['detector']} in {report['seconds']:.1f}s: {report['files_per_s']:,.1f} files/s, "
        f"{report['mb_per_s']:,.2f} MB/s",
        f"{'status':20}{'files':>10}",
    ]
    lines += [f"{status:20}{n:>10,}" for status, n in report["status"].items()]
    lines += [f"{'  ' + e:20}{n:>10,}" for e, n in report["errors"].items()]
    lines += [f"{'class':20}{'replaced':>10}"]
    lines += [f"{cls:20}{n:>10,}" for cls, n in report["spans"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
