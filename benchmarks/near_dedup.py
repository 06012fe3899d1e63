"""Near-dedup accuracy and speed: our verified MinHash LSH against datasketch.

Both sides run on one core over the same corpus (Python files of the standard
library and site-packages, up to ``--megabytes``) and do the same work: a list
of strings -> shingles -> MinHash -> LSH -> each file's cluster root
(connected components / union-find included), all inside the timed span.
datasketch gets shingles from the plain Python regex its users write, its own
``MinHashLSH`` (25 x 10 bands at 0.7) and no pair verification, as StarCoder
ran it; ours: the compiled kernel, 37 x 6 bands and every candidate pair
verified on all 256 permutations (work datasketch does not do, counted
against ours). The kernel-only ratio (shingles + MinHash from the list of
strings, nothing after) is reported apart.

Accuracy on the first ``--sample`` files against the exact Jaccard similarity
of their 5-gram shingle sets: recall of duplicate pairs per similarity bucket
(0.70-0.80, 0.80-0.90, 0.90-1.00), precision (share of predicted pairs at
J >= 0.7) and false removals (pairs with 0.5 <= J < 0.7 predicted as
duplicates). "pairs" are what each method links directly (verified pairs;
for datasketch its LSH candidates); "cluster pairs" are any two files of one
final cluster, which chains make less precise for both.

Each side runs ``--repeat`` times, taking turns; the fastest run of each counts.

    python benchmarks/near_dedup.py --megabytes 20 --sample 3000   # ~1 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import sys
import sysconfig
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow as pa
from _results import write_result
from starcoder_data.dedup import (
    connected_components,
    make_permutations,
    minhash_signatures,
    optimal_band_shape,
    shingles,
)
from starcoder_data.dedup.config import DedupConfig
from starcoder_data.dedup.local import near_edges, signature_rows
from starcoder_data.dedup.lsh import band_keys
from starcoder_data.dedup.verify import bucket_pairs, estimated_similarity

BUCKETS = ((0.7, 0.8), (0.8, 0.9), (0.9, 1.0 + 1e-9))


def _corpus(megabytes: float) -> list[str]:
    """Python files of the stdlib then site-packages, in path order, up to ``megabytes``."""
    roots = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]]
    texts, size = [], 0
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            texts.append(text)
            size += len(text.encode("utf-8"))
            if size >= megabytes * 1e6:
                return texts
    return texts


def _table(texts: list[str]) -> pa.Table:
    return pa.table(
        {
            "doc_id": np.arange(len(texts), dtype=np.int64),
            "content_hash": [str(i) for i in range(len(texts))],  # exact dedup is not timed
            "content": pa.array(texts, pa.large_string()),
        }
    )


def _ours(texts: list[str], config: DedupConfig) -> dict:
    """Text -> clusters with the verified pipeline; the kernel alone; the verified pairs."""
    permutations = make_permutations(config.num_perm, config.seed)
    signature_rows(_table(texts[:1]), permutations=permutations, ngram=config.ngram)  # compile
    start = time.perf_counter()
    minhash_signatures(pa.array(texts, pa.large_string()), permutations, config.ngram)
    kernel = time.perf_counter() - start
    start = time.perf_counter()  # from the list of strings, as datasketch gets it
    table = _table(texts)
    rows = signature_rows(table, permutations=permutations, ngram=config.ngram)
    edges = near_edges(rows, shape=config.band_shape, threshold=config.threshold)
    roots = connected_components(edges)
    seconds = time.perf_counter() - start
    signatures, num_shingles = minhash_signatures(table["content"], permutations, config.ngram)
    shape = config.band_shape
    shingled = np.flatnonzero(num_shingles > 0)  # files without a token are never near duplicates
    keys = band_keys(signatures[shingled], shape)
    first, second = bucket_pairs(keys.ravel(), np.repeat(shingled, shape.bands))
    similar = estimated_similarity(signatures, first, second) >= config.threshold
    return {
        "seconds": seconds,
        "kernel_seconds": kernel,
        "roots": dict(zip(roots["src"].to_pylist(), roots["dst"].to_pylist(), strict=True)),
        "pairs": set(zip(first[similar].tolist(), second[similar].tolist(), strict=True)),
        "candidates": len(first),
    }


def _datasketch(texts: list[str], num_perm: int, ngram: int, threshold: float) -> dict:
    """Regex shingling + MinHash + MinHashLSH insert/query + union-find; the MinHash alone."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    minhashes = []
    for text in texts:
        grams = shingles(text, ngram)
        minhash = MinHash(num_perm=num_perm)
        minhash.update_batch([" ".join(g).encode("utf-8") for g in grams])
        minhashes.append(minhash if grams else None)
    kernel = time.perf_counter() - start
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(texts)))
    pairs = set()

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc, minhash in enumerate(minhashes):
        if minhash is None:
            continue
        for other in lsh.query(minhash):
            pairs.add((min(doc, other), max(doc, other)))
            a, b = find(doc), find(other)
            parent[max(a, b)] = min(a, b)
        lsh.insert(doc, minhash)
    roots = {d: find(d) for d in range(len(texts)) if find(d) != d}
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "kernel_seconds": kernel, "roots": roots, "pairs": pairs}


def _fastest(results: list[dict]) -> dict:
    """The first run's outcome with the least time of all runs (the outcome never varies)."""
    best = dict(results[0])
    for key in ("seconds", "kernel_seconds"):
        best[key] = min(r[key] for r in results)
    return best


def _cluster_pairs(roots: dict, docs: range) -> set[tuple[int, int]]:
    clusters = defaultdict(list)
    for doc in docs:
        clusters[roots.get(doc, doc)].append(doc)
    return {pair for members in clusters.values() for pair in combinations(sorted(members), 2)}


def _similar_pairs(texts: list[str], docs: range, ngram: int, floor: float) -> dict:
    """Exact Jaccard of every pair of ``docs`` at ``floor`` or above (pairs sharing a shingle)."""
    sets = {d: shingles(texts[d], ngram) for d in docs}
    by_shingle = defaultdict(list)
    for doc, grams in sets.items():
        for gram in grams:
            by_shingle[gram].append(doc)
    candidates = {pair for ds in by_shingle.values() for pair in combinations(ds, 2)}
    similar = {}
    for a, b in candidates:
        jaccard = len(sets[a] & sets[b]) / len(sets[a] | sets[b])
        if jaccard >= floor:
            similar[(a, b)] = jaccard
    return similar


def _accuracy(predicted: set, similar: dict, threshold: float) -> dict:
    truth = {pair for pair, j in similar.items() if j >= threshold}
    buckets = {}
    for low, high in BUCKETS:
        inside = {pair for pair in truth if low <= similar[pair] < high}
        hits = len(inside & predicted)
        buckets[f"{low:.2f}-{min(high, 1.0):.2f}"] = {
            "pairs": len(inside),
            "recall": round(hits / len(inside), 4) if inside else None,
        }
    near_miss = {pair for pair, j in similar.items() if 0.5 <= j < threshold}
    false_removals = len(near_miss & predicted)
    return {
        "recall": round(len(truth & predicted) / len(truth), 4) if truth else None,
        "recall_by_similarity": buckets,
        "precision": round(len(truth & predicted) / len(predicted), 4) if predicted else None,
        "predicted_pairs": len(predicted),
        "false_removals_0.5_0.7": {
            "pairs": len(near_miss),
            "predicted": false_removals,
            "rate": round(false_removals / len(near_miss), 4) if near_miss else None,
        },
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=20.0, help="corpus size (MB of UTF-8)")
    parser.add_argument("--sample", type=int, default=3000, help="files checked for accuracy")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the fastest counts")
    parser.add_argument("--name", default="near_dedup", help="results file name")
    args = parser.parse_args(argv)

    config = DedupConfig()  # StarCoder's 256 permutations, 5-grams, 0.7
    texts = _corpus(args.megabytes)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    # Runs take turns and the fastest of each side counts (the same for the kernel), so
    # neither a first call's cold caches nor a busy spell on a shared machine favours a side.
    runs = [
        (_ours(texts, config), _datasketch(texts, config.num_perm, config.ngram, config.threshold))
        for _ in range(args.repeat)
    ]
    ours, theirs = (_fastest([run[i] for run in runs]) for i in (0, 1))
    sample = range(min(args.sample, len(texts)))
    similar = _similar_pairs(texts, sample, config.ngram, 0.5)

    def side(result: dict) -> dict:
        in_sample = {(a, b) for a, b in result["pairs"] if b < len(sample)}
        return {
            "seconds": round(result["seconds"], 3),
            "mb_per_s": round(megabytes / result["seconds"], 2),
            "kernel_seconds": round(result["kernel_seconds"], 3),
            "kernel_mb_per_s": round(megabytes / result["kernel_seconds"], 2),
            "pairs": _accuracy(in_sample, similar, config.threshold),
            "cluster_pairs": _accuracy(
                _cluster_pairs(result["roots"], sample), similar, config.threshold
            ),
        }

    shape = config.band_shape
    report = {
        "benchmark": "near_dedup",
        "baseline": "datasketch MinHash + MinHashLSH (its 25 x 10 bands, no verification)",
        "corpus": {"files": len(texts), "megabytes": round(megabytes, 2)},
        "runs_per_side": args.repeat,
        "settings": {"num_perm": config.num_perm, "ngram": config.ngram,
                     "threshold": config.threshold},
        "band_shape": {"ours": [shape.bands, shape.rows],
                       "datasketch": list(vars(optimal_band_shape(0.7, 256)).values())},
        "ours": side(ours) | {"candidate_pairs_verified": ours["candidates"]},
        "datasketch": side(theirs),
        "speedup_text_to_clusters": round(theirs["seconds"] / ours["seconds"], 1),
        "speedup_kernel": round(theirs["kernel_seconds"] / ours["kernel_seconds"], 1),
        "accuracy_sample": {
            "files": len(sample),
            "pairs_at_or_above_0.7": sum(j >= config.threshold for j in similar.values()),
        },
    }  # fmt: skip
    json.dump(report, sys.stdout, indent=2)
    print()
    write_result(args.name, report)
    return report


if __name__ == "__main__":
    main()
