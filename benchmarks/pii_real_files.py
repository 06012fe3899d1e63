"""Every PII system of the package on the real-file set: P/R/F1 per class, leaks, hard negatives.

    python benchmarks/pii_real_files.py                                  # the baseline only
    python benchmarks/pii_real_files.py --model outputs/pii_ner/model    # and the NER systems

The set (``starcoder_pii.real_eval``, labelled by hand, see ``docs/pii.md``)
is windows of real, permissively licensed files that the curated corpus does
not read, some with injected secrets, some hard negatives. The systems are
the baseline (regexes + ``detect-secrets``), the NER model raw and
post-processed, NER + post-processing + regexes (StarCoder's pipeline), the
learned system as the redactor runs it (recall-first: every rule-based secret
kept) and the same with the model's veto on the baseline's keys and
passwords (``learned+veto``, the behaviour before recall-first). Leaks are
gold EMAIL / KEY / PASSWORD / IP_ADDRESS values still in the redacted text,
the redaction being the job's (``--classes`` as in ``make pii``). Without
``--model`` only the baseline row runs. With ``--pii-dataset`` (the model's
``build_pii_dataset.py`` output) the repos it shares with the set's packages
are recorded and every system is also scored on the windows of the other
packages (``systems_disjoint``). Writes ``benchmarks/results/pii_real_files.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

from _results import write_result
from starcoder_pii.evaluate import OVERLAP, format_table
from starcoder_pii.real_eval import (
    build_systems,
    disjoint_windows,
    evaluate_windows,
    excluded_repos,
    load_real_windows,
)
from starcoder_pii.redact import RedactionConfig
from starcoder_pii.spans import PII_CLASSES


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="NER model directory (train_pii_ner.py's OUTPUT/model)")
    parser.add_argument(
        "--classes",
        default=",".join(PII_CLASSES),
        help="classes redacted when counting leaks (make pii: NAME,EMAIL,KEY,PASSWORD,IP_ADDRESS)",
    )
    parser.add_argument("--pii-dataset", help="the model's labelled set (files.parquet)")
    parser.add_argument("--name", default="pii_real_files", help="results file name")
    return parser.parse_args(argv)


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
    windows = load_real_windows()
    redaction = RedactionConfig(classes=tuple(args.classes.split(",")))
    overlap = training_overlap(args.pii_dataset, windows) if args.pii_dataset else None
    apart = disjoint_windows(windows, set(overlap["repos"])) if overlap else None
    results, disjoint, seconds = {}, {}, {}
    for name, detect in build_systems(args.model).items():
        start = time.perf_counter()
        results[name] = evaluate_windows(windows, detect, redaction)
        seconds[name] = round(time.perf_counter() - start, 2)
        if apart is not None:
            disjoint[name] = evaluate_windows(apart, detect, redaction)
        leaks = results[name]["leaks"]
        print(f"{name}: leaked {leaks['ALL']['leaked']} of {leaks['ALL']['gold']} values "
              f"(secrets {leaks['secrets']['leaked']} of {leaks['secrets']['gold']}), "
              f"hard negatives changed {results[name]['hard_negatives_changed']} "
              f"of {results[name]['hard_negatives']}", flush=True)  # fmt: skip
    print(format_table(results, OVERLAP).replace("held-out split", "real-file set"))
    record = {
        "set": set_summary(windows),
        "model": args.model,
        "redacted_classes": list(redaction.classes),
        "training_overlap": overlap,
        "systems": results,
        "systems_disjoint": disjoint or None,
        "seconds": seconds,
    }
    print(f"wrote {write_result(args.name, record)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
