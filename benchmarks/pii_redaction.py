"""PII redaction: the job's files/s and MB/s with the baseline, the rules, the NER model and the
learned system, and batched NER inference against one file at a time.

    python benchmarks/pii_redaction.py                      # from a fresh clone too
    python benchmarks/pii_redaction.py --data /data/curated --model M --sample-mb 32

A seeded sample (``--sample-mb``) of the curated corpus is written to a
temporary Parquet folder; ``ray_jobs/redact_pii.py`` then runs over it in a
fresh process per detector (its own local Ray, start-up included in the
time: what a user waits for). The baseline run is the reference the others
are compared with: ``rules`` (the baseline plus the context rules, no
model), and with a model ``ner+regex`` (StarCoder's pipeline) and
``learned`` (the rules' spans plus the model's). The inference figure runs
the NER detector in this process on ``--inference-files`` files, once with
``detect_batch`` over all of them and once file by file. Without a curated
corpus at ``--data`` (a fresh clone) the sample is the Python standard
library's own modules instead, and without a model at ``--model`` only the
model-free detectors run; the output and the results file say which.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _results import write_result

ROOT = Path(__file__).resolve().parents[1]
MB = 1e6


def stdlib_sample(max_bytes: int) -> list[dict]:
    """Python standard-library modules, in name order, until ``max_bytes``: a corpus every
    machine has (the fallback when no curated corpus was built)."""
    import sysconfig

    rows, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        content = path.read_text(encoding="utf-8", errors="replace")
        rows.append({"repo": "stdlib", "path": path.name, "content": content, "language": "python"})
        size += len(content.encode())
        if size >= max_bytes:
            break
    return rows


def read_sample(data: str, sample_mb: float) -> tuple[list[dict], str]:
    """The rows to redact and where they came from."""
    from starcoder_pii.corpus import read_curated_sample

    if Path(data).is_dir() and any(Path(data).rglob("*.parquet")):
        return read_curated_sample(data, int(sample_mb * MB)), f"curated corpus at {data}"
    print(f"no curated corpus at {data}: sampling the Python standard library instead", flush=True)
    return stdlib_sample(int(sample_mb * MB)), "Python standard library (no curated corpus)"


def write_sample(rows: list[dict], folder: Path) -> int:
    for language in sorted({r["language"] for r in rows}):
        chosen = [r for r in rows if r["language"] == language]
        table = pa.table(
            {
                "repo": [r["repo"] for r in chosen],
                "path": [r["path"] for r in chosen],
                "content": [r["content"] for r in chosen],
                "size": [len(r["content"].encode()) for r in chosen],
                "content_hash": [str(i) for i in range(len(chosen))],
            }
        )
        (folder / f"language={language}").mkdir(parents=True)
        pq.write_table(table, folder / f"language={language}" / "part-0.parquet")
    return sum(len(r["content"].encode()) for r in rows)


def run_job(data: Path, output: Path, detector: str, model: str | None, cpus: int | None) -> dict:
    command = [
        sys.executable,
        str(ROOT / "ray_jobs/redact_pii.py"),
        "--data",
        str(data),
        "--output",
        str(output),
        "--detector",
        detector,
    ]
    command += ["--model", model] if model else []
    command += ["--num-cpus", str(cpus)] if cpus else []
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    report = json.loads((output / "report.json").read_text())
    return {
        "detector": detector,
        "files": report["files"],
        "mb": round(report["bytes"] / MB, 2),
        "job_files_per_s": report["files_per_s"],
        "job_mb_per_s": report["mb_per_s"],
        "wall_s_with_ray_start": round(wall, 1),
        "spans": report["spans"],
    }


def inference(model: str, rows: list[dict], n: int, batch_size: int) -> dict:
    from starcoder_pii.ner.detector import NerConfig, NerDetector, read_window_config

    detector = NerDetector(
        model, NerConfig(windows=read_window_config(model), batch_size=batch_size)
    )
    texts = [r["content"][:20_000] for r in rows[:n]]
    paths = [r["path"] for r in rows[:n]]
    detector.detect_batch(texts[:2], paths[:2])  # warm-up
    started = time.perf_counter()
    batched = detector.detect_batch(texts, paths)
    t_batched = time.perf_counter() - started
    started = time.perf_counter()
    single = [detector(t, p) for t, p in zip(texts, paths, strict=True)]
    t_single = time.perf_counter() - started
    mb = sum(len(t.encode()) for t in texts) / MB
    return {
        "files": n,
        "mb": round(mb, 3),
        "batch_size_windows": batch_size,
        "batched_files_per_s": round(n / t_batched, 2),
        "one_at_a_time_files_per_s": round(n / t_single, 2),
        "speedup": round(t_single / t_batched, 2),
        "same_spans": batched == single,
        "device": str(detector.device),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        default=str(ROOT / "outputs/curated/data"),
        help="curated Parquet (if absent: the Python standard library)",
    )
    parser.add_argument(
        "--model", default=str(ROOT / "outputs/pii_ner/model"), help="NER model (if absent: none)"
    )
    parser.add_argument("--sample-mb", type=float, default=4.0)
    parser.add_argument("--inference-files", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32, help="windows per forward pass")
    parser.add_argument("--num-cpus", type=int, default=None)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows, source = read_sample(args.data, args.sample_mb)
        size = write_sample(rows, tmp / "data")
        results["sample"] = {"files": len(rows), "mb": round(size / MB, 2), "source": source}
        results["baseline_job"] = run_job(tmp / "data", tmp / "b", "baseline", None, args.num_cpus)
        results["rules_job"] = run_job(tmp / "data", tmp / "r", "rules", None, args.num_cpus)
        results["model"] = args.model if Path(args.model).is_dir() else None
        if results["model"] is None:
            print(f"no model at {args.model}: the model-free detectors only", flush=True)
        else:
            results["ner_job"] = run_job(
                tmp / "data", tmp / "n", "ner+regex", args.model, args.num_cpus
            )
            results["learned_job"] = run_job(
                tmp / "data", tmp / "l", "learned", args.model, args.num_cpus
            )
            results["ner_inference"] = inference(
                args.model, rows, args.inference_files, args.batch_size
            )
    print(json.dumps(results, indent=2))
    write_result("pii_redaction", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
