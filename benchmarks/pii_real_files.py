"""Every PII system of the package on the real-file set: P/R/F1 per class, leaks, hard negatives.

    python benchmarks/pii_real_files.py                                  # no model needed
    python benchmarks/pii_real_files.py --model outputs/pii_ner/model \
        --classes NAME,EMAIL,KEY,PASSWORD,IP_ADDRESS --pii-dataset outputs/pii_dataset/files.parquet

The set (``starcoder_pii.real_eval``, labelled by hand, see ``docs/pii.md``)
is windows of real, permissively licensed files that the curated corpus does
not read, some with injected secrets, some hard negatives. It is split by
package (``real_eval.split``): the context rules and the learned system's
thresholds were chosen on the validation part, so ``systems`` (the docs'
tables) scores the **test** part; ``systems_validation`` and ``systems_all``
score the other part and the whole set. The systems are the baseline
(regexes + ``detect-secrets``), ``rules`` (the baseline plus the context
rules: names, handles, positional credentials; no model), and, with
``--model``, the NER model raw and post-processed, NER + post-processing +
regexes (StarCoder's pipeline), the learned system as the redactor runs it
(recall-first: every rule-based secret kept) and the same with the model's
veto on the baseline's keys and passwords (``learned+veto``). Without a
model (a fresh clone, no ``outputs/``) only the model-free systems run, and
the output says so. Leaks are gold EMAIL / KEY / PASSWORD / IP_ADDRESS
values still in the redacted text, the redaction being the job's
(``--classes`` as in ``make pii``). With ``--pii-dataset`` (the model's
``build_pii_dataset.py`` output) the repos it shares with the set's packages
are recorded and every system is also scored on the test windows of the
other packages (``systems_disjoint``). Writes
``benchmarks/results/pii_real_files.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _results import write_result
from starcoder_pii.evaluate import OVERLAP, format_table
from starcoder_pii.real_eval import (
    SPLIT_SALT,
    TEST,
    VALIDATION,
    build_systems,
    disjoint_windows,
    evaluate_windows,
    excluded_repos,
    load_real_windows,
    split_windows,
)
from starcoder_pii.redact import RedactionConfig
from starcoder_pii.spans import PII_CLASSES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "outputs/pii_ner/model"  # make pii's model, used when it exists
DEFAULT_PII_DATASET = ROOT / "outputs/pii_dataset/files.parquet"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default=None,
        help=f"NER model directory (train_pii_ner.py's OUTPUT/model); default: {DEFAULT_MODEL} "
        "when it exists, else none; 'none': the model-free systems only",
    )
    parser.add_argument(
        "--classes",
        default=",".join(PII_CLASSES),
        help="classes redacted when counting leaks (default: all six, as make pii)",
    )
    parser.add_argument(
        "--pii-dataset",
        default=None,
        help=f"the model's labelled set (files.parquet); default: {DEFAULT_PII_DATASET} "
        "with the default model",
    )
    parser.add_argument("--name", default="pii_real_files", help="results file name")
    args = parser.parse_args(argv)
    if args.model is None and DEFAULT_MODEL.is_dir():
        args.model = str(DEFAULT_MODEL)
        if args.pii_dataset is None and DEFAULT_PII_DATASET.exists():
            args.pii_dataset = str(DEFAULT_PII_DATASET)
    if args.model in (None, "none"):
        args.model = None
    return args


def _shown(path: str | None) -> str | None:
    """A path as the results file records it: relative to the repository where it lies inside."""
    if path is None:
        return None
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else path


def set_summary(windows) -> dict:
    labels = {c: sum(s.label == c for w in windows for s in w.spans) for c in PII_CLASSES}
    return {
        "windows": len(windows),
        "injected_windows": sum(w.injected for w in windows),
        "hard_negative_windows": sum(w.hard_negative for w in windows),
        "packages": len({w.package for w in windows}),
        "spans": labels,
        "injected_spans": sum(len(w.spans) for w in windows if w.injected),
    }


def training_overlap(pii_dataset: str, windows) -> dict:
    """Repos of the model's labelled set (train and test) that the real-file set excludes."""
    import pyarrow.parquet as pq

    rows = pq.read_table(pii_dataset, columns=["repo", "split"]).to_pylist()
    shared = sorted({r["repo"] for r in rows} & excluded_repos(windows))
    files = {repo: sum(r["repo"] == repo for r in rows) for repo in shared}
    touched = len(windows) - len(disjoint_windows(windows, set(shared)))
    return {"repos": files, "windows_of_those_packages": touched}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    everything = load_real_windows()
    parts = split_windows(everything)
    windows = parts[TEST]
    redaction = RedactionConfig(classes=tuple(args.classes.split(",")))
    overlap = training_overlap(args.pii_dataset, windows) if args.pii_dataset else None
    apart = disjoint_windows(windows, set(overlap["repos"])) if overlap else None
    if args.model is None:
        print("no model (outputs/pii_ner/model absent, or --model none): scoring the systems "
              "that need no model (baseline, rules); make pii trains one", flush=True)  # fmt: skip
    results, validation, whole, disjoint, seconds = {}, {}, {}, {}, {}
    for name, detect in build_systems(args.model).items():
        start = time.perf_counter()
        results[name] = evaluate_windows(windows, detect, redaction)
        seconds[name] = round(time.perf_counter() - start, 2)
        validation[name] = evaluate_windows(parts[VALIDATION], detect, redaction)
        whole[name] = evaluate_windows(everything, detect, redaction)
        if apart is not None:
            disjoint[name] = evaluate_windows(apart, detect, redaction)
        leaks = results[name]["leaks"]
        print(f"{name} (test part): leaked {leaks['ALL']['leaked']} of {leaks['ALL']['gold']} "
              f"values (secrets {leaks['secrets']['leaked']} of {leaks['secrets']['gold']}), "
              f"hard negatives changed {results[name]['hard_negatives_changed']} "
              f"of {results[name]['hard_negatives']}", flush=True)  # fmt: skip
    print(format_table(results, OVERLAP).replace("held-out split", "real-file test part"))
    record = {
        "set": set_summary(windows),
        "part": TEST,
        "split": {
            "salt": SPLIT_SALT,
            VALIDATION: set_summary(parts[VALIDATION]),
            "all": set_summary(everything),
        },
        "model": _shown(args.model),
        "redacted_classes": list(redaction.classes),
        "training_overlap": overlap,
        "systems": results,
        "systems_validation": validation,
        "systems_all": whole,
        "systems_disjoint": disjoint or None,
        "seconds": seconds,
    }
    print(f"wrote {write_result(args.name, record)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
