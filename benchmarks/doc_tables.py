"""The docs' figure tables, rendered from the benchmarks' results files.

A table in ``docs/`` that quotes a benchmark sits between two markers::

    <!-- table pii_real_files/scores -->
    | ... |
    <!-- end table -->

and is exactly what :data:`RENDERERS` makes of ``benchmarks/results/<file>.json``.

    python benchmarks/doc_tables.py           # rewrite every marked table
    python benchmarks/doc_tables.py docs/serving.md   # only these docs' tables
    python benchmarks/doc_tables.py --check   # exit 1 where a doc differs (what the tests run)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(
    r"(<!-- table (?P<file>[\w.-]+)/(?P<table>[\w-]+) -->\n)(?P<body>.*?)(<!-- end table -->)",
    re.DOTALL,
)
PII_CLASSES = ("NAME", "EMAIL", "KEY", "PASSWORD", "IP_ADDRESS", "USERNAME", "ALL")
LEAK_CLASSES = ("EMAIL", "KEY", "PASSWORD", "IP_ADDRESS", "ALL")


def _row(cells: list) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list, rows: list[list]) -> str:
    lines = [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]
    return "\n".join(lines) + "\n"


def pii_scores(result: dict) -> str:
    """Overlap precision / recall / F1 per class and system; ``-``: no span of the class."""
    systems = result["systems"]
    gold = result["set"]["spans"] | {"ALL": sum(result["set"]["spans"].values())}
    rows = []
    for label in PII_CLASSES:
        cells = [f"{label} ({gold[label]})"]
        for scores in systems.values():
            s = scores["overlap"][label]
            found = s["tp"] + s["fp"]
            cells.append(
                "-" if not found else f"{s['precision']:.3f} / {s['recall']:.3f} / {s['f1']:.3f}"
            )
        rows.append(cells)
    return _table(["class (n)", *systems], rows)


def pii_leaks(result: dict) -> str:
    """Gold values left in the redacted text, and hard-negative windows changed."""
    systems = result["systems"]
    first = next(iter(systems.values()))
    rows = [
        [f"{label} ({first['leaks'][label]['gold']})"]
        + [s["leaks"][label]["leaked"] for s in systems.values()]
        for label in LEAK_CLASSES
    ]
    rows.append(
        [f"hard-negative windows changed (of {first['hard_negatives']})"]
        + [s["hard_negatives_changed"] for s in systems.values()]
    )
    return _table(["leaks (gold values left in the redacted text)", *systems], rows)


def _result(file: str) -> dict:
    return json.loads((RESULTS / f"{file}.json").read_text())


def _load_average(result: dict) -> str:
    """The 1 / 5 / 15-minute load averages the results file recorded, or why there are none."""
    load = result.get("machine", {}).get("load_average")
    if load:
        return " / ".join(f"{x:.2f}" for x in load) + " (when written)"
    if "load_average_at_start" in result:
        start, end = result["load_average_at_start"], result["load_average_at_end"]
        return f"{' / '.join(map(str, start))} at the start, {' / '.join(map(str, end))} at the end"
    return "not recorded"


def machine(result: dict) -> str:
    """Where a results file was measured: CPU, cores, memory, load, commit."""
    info = result.get("machine", {})
    commit = info.get("git_commit")
    return _table(
        ["CPU", "cores", "memory", "load average (1 / 5 / 15 min)", "commit"],
        [
            [
                info.get("cpu_model", "not recorded"),
                info.get("cores", result.get("cpus", "-")),
                f"{info['memory_gib']} GiB" if info.get("memory_gib") else "-",
                _load_average(result),
                commit[:10] if commit else "-",
            ]
        ],
    )


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def near_dedup_accuracy(result: dict) -> str:
    """Recall per similarity bucket, precision and false removals, per pair and per cluster."""
    buckets = result["ours"]["pairs"]["recall_by_similarity"]
    near = result["ours"]["pairs"]["false_removals_0.5_0.7"]["pairs"]
    header = [""] + [f"recall J {b} ({v['pairs']} pairs)" for b, v in buckets.items()]
    header += ["precision", f"false removals, 0.5 <= J < 0.7 (of {near})"]
    sides = {
        "ours": "ours: 37 x 6, verified on 256 permutations",
        "datasketch": "datasketch `MinHashLSH` (25 x 10), as StarCoder",
    }
    rows = []
    for kind, label in (("pairs", "pairs linked"), ("cluster_pairs", "any two files of a cluster")):
        for side, name in sides.items():
            s = result[side][kind]
            removed = s["false_removals_0.5_0.7"]
            rows.append(
                [f"{name}; {label}"]
                + [s["recall_by_similarity"][b]["recall"] for b in buckets]
                + [s["precision"], f"{removed['predicted']} ({_pct(removed['rate'])})"]
            )
    return _table(header, rows)


def near_dedup_speed(result: dict) -> str:
    """Text to clusters and the kernel alone, each side's fastest run, and the ratios."""
    corpus, ours, theirs = result["corpus"], result["ours"], result["datasketch"]
    runs = result.get("runs_per_side", 1)

    def cell(side: dict, key: str) -> str:
        return f"{side[key]:.3g} s ({side[key.replace('seconds', 'mb_per_s')]:.3g} MB/s)"

    return _table(
        ["1 core, fastest of " + str(runs), "ours", "datasketch", "datasketch / ours"],
        [
            ["corpus", f"{corpus['files']:,} Python files, {corpus['megabytes']} MB", "same", ""],
            [
                "text to duplicate clusters, components included",
                cell(ours, "seconds"),
                cell(theirs, "seconds"),
                f"{result['speedup_text_to_clusters']}x",
            ],
            [
                "kernel alone: shingles + MinHash",
                cell(ours, "kernel_seconds"),
                cell(theirs, "kernel_seconds"),
                f"{result['speedup_kernel']}x",
            ],
        ],
    )


def license_summary(result: dict) -> str:
    """Agreement with Debian's machine-readable copyright files."""
    return _table(
        ["packages", "license family right", "exact SPDX id", "permissive-or-not as Debian"],
        [
            [
                result["packages"],
                _pct(result["accuracy"]),
                _pct(result["exact_accuracy"]),
                _pct(result["permissive_decision_accuracy"]),
            ]
        ],
    )


def dedup_stage_paths(result: dict) -> str:
    """Each dedup path against the MinHash kernel, at 10 MB and (second file) 300 MB."""
    rows = []
    for name, res in (("dedup_stage", result), ("dedup_stage_300mb", _result("dedup_stage_300mb"))):
        paths, kernel = res["paths"], res["kernel_seconds_1_core"]
        cells = [
            f"{res['input']['megabytes']:.0f} MB, {res['input']['files']:,} files (`{name}.json`)",
            f"{kernel:.2f} s",
        ]
        for path in ("curation_job", "one_task", "distributed"):
            if path not in paths:
                cells.append("not run (hours)")
                continue
            seconds = paths[path]["seconds"]
            cells.append(f"{seconds:.2f} s ({paths[path]['ratio_to_kernel']:.1f}x the kernel)")
        cells.append("yes" if res["same_decisions"] else "NO")
        rows.append(cells)
    header = [
        "input",
        "kernel, 1 core",
        "curation job's path: signatures in the filter step, decision read from Parquet",
        "`find_duplicates` on the content (Ray Data `map_batches`, then one task)",
        "group-bys and star rounds (the job's path before)",
        "same files dropped",
    ]
    return _table(header, rows)


def curation_before_after(result: dict) -> str:
    """The whole job before (``curation_job_before.json``) and now."""
    now = result["whole_corpus"]
    before = _result("curation_job_before")["whole_corpus"]
    steps = {
        "filtered": "step 1: read, filters (now with signatures)",
        "duplicates": "step 2: exact and near dedup",
        "final": "step 3: mark duplicates",
        "outputs": "step 4: write outputs",
    }

    def row(label, fmt, key):
        return [label, fmt(before[key]), fmt(now[key])]

    unread = before["input_mb"] - before["processed_mb"]
    rows = [
        [
            "input",
            f"{before['input_files']:,} files, {before['input_mb']:,.0f} MB "
            f"({unread:,.0f} MB of it files over 1 MB, counted, never read)",
            f"{now['input_files']:,} files, {now['input_mb']:,.0f} MB",
        ],
        row("bytes processed", lambda x: f"{x:,.0f} MB", "processed_mb"),
        row("kept", lambda x: f"{x} MB", "kept_mb"),
        row("wall time, Ray start included", lambda x: f"{x} s", "seconds"),
        *(
            [label, f"{before['step_seconds'][k]} s", f"{now['step_seconds'][k]} s"]
            for k, label in steps.items()
        ),
        row("processed MB/s per core", lambda x: f"{x:.2f}", "processed_mb_per_s_per_core"),
        row("peak memory (PSS of the job's processes)", lambda x: f"{x:.2f} GB", "peak_memory_gb"),
    ]
    return _table(["", "before", "now"], rows)


def issue_language_sets(result: dict) -> str:
    """The two evaluation sets."""
    return _table(
        ["set", "texts", "English", "mean characters"],
        [
            [name.replace("_", "-"), s["texts"], s["english_texts"], f"{s['mean_chars']:.0f}"]
            for name, s in result["sets"].items()
        ],
    )


def issue_language_detectors(result: dict) -> str:
    """Speed and accuracy per detector, one thread; the chosen one first as the file lists."""

    def rate(x: float) -> str:
        return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"

    rows = [
        [
            r["detector"] + (" (chosen)" if r["detector"] == result["chosen"] else ""),
            rate(r["issue_sized"]["texts_per_s"]),
            r["issue_sized"]["english_or_not_accuracy"],
            r["issue_sized"]["exact_language_accuracy"],
            r["sentences"]["english_or_not_accuracy"],
            f"{r['load_seconds']:.3g} s",
        ]
        for r in result["results"]
    ]
    header = [
        "detector",
        "texts/s (issue-sized)",
        "English-or-not accuracy",
        "exact language",
        "English-or-not, single sentences",
        "load",
    ]
    return _table(header, rows)


def sandbox_workers(result: dict) -> str:
    """Programs per second per backend and worker count."""
    keys = [k for k in result if k.startswith("workers=")]
    return _table(
        [
            "workers",
            "bwrap (default)",
            "OS fallback",
            f"`{result['baseline']}` package (baseline, no isolation)",
        ],
        [
            [
                k.split("=")[1],
                result[k]["bwrap"]["programs_per_s"],
                result[k]["os"]["programs_per_s"],
                result[k][result["baseline"]]["programs_per_s"],
            ]
            for k in keys
        ],
    )


def sandbox_placement(result: dict) -> str:
    """The driver's threads against Ray tasks, same programs with bwrap."""
    placement = result["execution_placement"]
    threads, ray = placement["threads"], placement["ray"]
    return _table(
        ["where", "programs/s (best round)", "first round", "x threads"],
        [
            [
                f"driver's thread pool, {threads['workers']} workers",
                threads["programs_per_s"],
                threads["cold_programs_per_s"],
                1.0,
            ],
            [
                f"Ray tasks, {ray['cpus']} CPUs, {ray['programs_per_task']} programs per task",
                ray["programs_per_s"],
                ray["cold_programs_per_s"],
                placement["ray_vs_threads"],
            ],
        ],
    )


def _ms_pair(p: dict) -> str:
    return f"{p['p50_ms']:.2f} / {p['p99_ms']:.2f} ms"


def attribution_figures(result: dict) -> str:
    """Membership filter (ours against rbloom, same hashes) and the full-text search."""
    m, search = result["membership"], result["search"]
    fp = m["false_positive_rate"]

    def both(value: dict, fmt) -> str:
        return f"ours {fmt(value['ours'])}; `rbloom` {fmt(value['rbloom'])}"

    def mb_s(x: float) -> str:
        return f"{x:.1f} MB/s"

    rows = [
        [
            "benchmark corpus",
            f"{result['documents']:,} files, {m['text_mb']:,.0f} MB of this "
            f"machine's text; {m['ngrams'] / 1e6:.1f}M n-grams, {m['distinct_ngrams'] / 1e6:.1f}M "
            "distinct",
        ],
        ["hashing (BLAKE2b, the same code for both filters, 1 core)", mb_s(m["hashing_mb_per_s"])],
        ["filter build, filter only (1 core)", both(m["build_mb_per_s"], mb_s)],
        ["filter build, hashing included", both(m["build_with_hashing_mb_per_s"], mb_s)],
        [
            "lookup of a 1 KB snippet's n-grams, filter only, p50 / p99",
            both(m["lookup_1kb"], _ms_pair),
        ],
        ["the same, hashing included", both(m["lookup_with_hashing_1kb"], _ms_pair)],
        [
            "our whole membership check of a 1 KB snippet (chains, spans), p50 / p99",
            _ms_pair(m["membership_check_1kb"]),
        ],
        [
            f"false-positive rate, {fp['probes']:,} random 50-character probes",
            f"ours {_pct(fp['measured'], 3)} ({m['filter_mb']['ours']:.1f} MB filter); `rbloom` "
            f"{_pct(fp['rbloom_measured'], 3)} ({m['filter_mb']['rbloom']:.1f} MB); configured "
            f"{_pct(fp['configured'], 0)}",
        ],
        [
            f"tantivy, {search['documents']:,} documents",
            f"build {search['build_mb_per_s']:.0f} MB/s (2 threads); index "
            f"{search['index_gb_per_gb_text']:.2f} GB per GB of text; top-10 for a 1 KB snippet "
            f"p50 / p99 {_ms_pair(search['top10_latency_1kb'])}",
        ],
    ]
    return _table(["what", "figure"], rows)


def _ms_p50_p99(row: dict, what: str) -> str:
    """``p50 / p99`` in whole ms; ``-`` where no request completed."""
    p50, p99 = row[f"{what}_p50_ms"], row[f"{what}_p99_ms"]
    return "-" if p50 is None else f"{p50:.0f} / {p99:.0f}"


def serving_levels(result: dict) -> str:
    """Tokens delivered per second, latencies, and the requests that failed, per level."""
    header = [
        "mode",
        "clients",
        "requests: complete / errors / short",
        f"tokens/s (best of {result['rounds']} rounds)",
        "x baseline",
        "TTFT p50 / p99 (ms)",
        "latency p50 / p99 (ms)",
        "text differs from the baseline's",
    ]
    rows = []
    for row in [result["baseline"] | {"speedup_vs_sequential": 1.0}, *result["served"]]:
        mode = "sequential `generate()`" if "generate" in row["mode"] else row["mode"]
        rows.append(
            [
                mode,
                row["clients"],
                f"{row['complete']} / {row['errors']} / {row['short_streams']}",
                row["tokens_per_s"],
                f"{row['speedup_vs_sequential']:.2f}",
                _ms_p50_p99(row, "ttft"),
                _ms_p50_p99(row, "latency"),
                row["differs_from_baseline"],
            ]
        )
    return _table(header, rows)


def serving_targets(result: dict) -> str:
    """The issue's two targets against what was measured."""
    labels = {
        "speedup_at_16_clients": "throughput at 16 clients, x sequential",
        "overhead_at_1_client": "overhead at 1 client (sequential tokens/s / served - 1)",
    }
    rows = []
    for key, label in labels.items():
        op, bound = result["targets"][key].split()
        value = result[key]
        met = value >= float(bound) if op == ">=" else value <= float(bound)
        rows.append([label, value, result["targets"][key], "yes" if met else "no"])
    baseline = result["baseline"]
    if "generated_tokens" in baseline:
        rows.append([
            "baseline's tokens: re-encoded text (counted) / token ids generated",
            f"{baseline['completion_tokens']:,} / {baseline['generated_tokens']:,}", "", "",
        ])  # fmt: skip
    return _table(["figure", "measured", "target", "met"], rows)


def training_overhead_figures(result: dict) -> str:
    """Tokens/s of the plain loop and of the Ray Train + DeepSpeed job on both clocks."""
    run = f"{result['preset']}, {result['steps']} steps x {result['global_batch_tokens']:,} tokens"
    rows = []
    for clock, key, what in (("steps_s", "", "first to last step"), ("job_s", "_job", "whole job")):
        seconds = f"{result['baseline_seconds'][clock]} s vs {result['stack_seconds'][clock]} s"
        rows.append(
            [
                f"{what}: {seconds}",
                f"{result[f'baseline{key}_tokens_per_s']:,.0f}",
                f"{result[f'stack{key}_tokens_per_s']:,.0f}",
                _pct(result[f"overhead{key}"]),
            ]
        )
    header = [f"clock ({run}, {result['precision']} on both sides)"]
    header += [f"{result[side]}: tokens/s" for side in ("baseline", "stack")]
    return _table([*header, "overhead (1 - stack / baseline)"], rows)


def lora_finetune_figures(result: dict) -> str:
    """LoRA against full fine-tuning: weights trained, memory and tokens/s, same job and data."""
    lora, full, ratio = result["lora"], result["full"], result["lora_over_full"]
    rows = [
        [
            "trainable weights",
            f"{lora['trainable_parameters']:,} of {lora['parameters']:,}",
            f"{full['trainable_parameters']:,}",
            f"{lora['trainable_parameters'] / full['trainable_parameters']:.3f}",
        ],
        *(
            [label, f"{lora[key]} MiB", f"{full[key]} MiB", ratio[key]]
            for key, label in (
                ("optimizer_mib_all_workers", "optimizer state, all workers (AdamW + fp32 copies)"),
                ("gradient_mib_all_workers", "gradients of the trainable weights, all workers"),
                ("peak_rss_mib_all_workers", "peak RSS, sum over the training workers"),
            )
        ),
        [
            "tokens/s, first to last step",
            f"{lora['tokens_per_s']:,.0f}",
            f"{full['tokens_per_s']:,.0f}",
            ratio["tokens_per_s"],
        ],
        [
            "whole job, s (LoRA's curates and packs the folder)",
            lora["job_seconds"],
            full["job_seconds"],
            "",
        ],
        ["adapter / model weights, MiB", result["adapter_mib"], result["model_mib"], ""],
    ]
    header = [
        f"{result['model']}; {result['steps']} steps x {result['global_batch_tokens']:,} tokens, "
        f"{result['precision']}, {result['stack']}",
        f"LoRA (r {result['lora_settings']['rank']})",
        "full",
        "LoRA / full",
    ]
    return _table(header, rows)


RENDERERS: dict[tuple[str, str], Callable[[dict], str]] = {
    ("pii_real_files", "scores"): pii_scores,
    ("pii_real_files", "leaks"): pii_leaks,
    ("near_dedup", "accuracy"): near_dedup_accuracy,
    ("near_dedup", "speed"): near_dedup_speed,
    ("near_dedup", "machine"): machine,
    ("license_accuracy", "summary"): license_summary,
    ("dedup_stage", "paths"): dedup_stage_paths,
    ("curation_job", "before_after"): curation_before_after,
    ("issue_language_id", "sets"): issue_language_sets,
    ("issue_language_id", "detectors"): issue_language_detectors,
    ("sandbox_throughput", "workers"): sandbox_workers,
    ("sandbox_throughput", "placement"): sandbox_placement,
    ("sandbox_throughput", "machine"): machine,
    ("attribution", "figures"): attribution_figures,
    ("attribution", "machine"): machine,
    ("serving", "levels"): serving_levels,
    ("serving", "targets"): serving_targets,
    ("serving", "machine"): machine,
    ("training_overhead", "figures"): training_overhead_figures,
    ("training_overhead", "machine"): machine,
    ("lora_finetune", "figures"): lora_finetune_figures,
    ("lora_finetune", "machine"): machine,
}


def render(file: str, table: str) -> str:
    result = json.loads((RESULTS / f"{file}.json").read_text())
    return RENDERERS[(file, table)](result)


def updated(text: str) -> str:
    """``text`` with every marked table rendered afresh."""

    def fill(match: re.Match) -> str:
        body = render(match["file"], match["table"])
        return f"{match.group(1)}{body}{match.group(5)}"

    return BLOCK.sub(fill, text)


def stale_docs() -> list[Path]:
    """The docs whose marked tables differ from their results files."""
    return [doc for doc in DOCS if doc.exists() and updated(doc.read_text()) != doc.read_text()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale docs, change nothing")
    parser.add_argument("docs", nargs="*", type=Path, help="only these docs (default: all)")
    args = parser.parse_args(argv)
    only = {doc.resolve() for doc in args.docs}
    stale = [doc for doc in stale_docs() if not only or doc.resolve() in only]
    if args.check:
        for doc in stale:
            print(f"{doc.relative_to(ROOT)}: a table differs from its results file")
        return 1 if stale else 0
    for doc in stale:
        doc.write_text(updated(doc.read_text()))
        print(f"rewrote {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
