"""Near-dedup throughput and accuracy: our MinHash LSH against datasketch.

Both sides run on one core over the same corpus (Python files of the standard
library and site-packages, up to ``--megabytes``), timed from text to LSH
buckets, shingling included. datasketch gets shingles from the plain Python
regex its users write; ours come from the compiled kernel.

Accuracy: duplicate pairs (two files in the same final cluster) against the
exact Jaccard similarity of their 5-gram shingle sets, on a sample of files:
recall over pairs with J >= threshold, precision over predicted pairs.

    python benchmarks/near_dedup.py --megabytes 20 --sample 3000
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
from starcoder_data.dedup import (
    bucket_edges,
    bucket_rows,
    connected_components,
    make_permutations,
    optimal_band_shape,
    shingles,
)


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


def _ours(texts: list[str], num_perm: int, ngram: int, threshold: float) -> tuple[float, dict, set]:
    """Seconds from texts to candidate edges, each doc's cluster root, and candidate pairs."""
    shape = optimal_band_shape(threshold, num_perm)
    permutations = make_permutations(num_perm, 42)
    table = pa.table(
        {
            "doc_id": np.arange(len(texts), dtype=np.int64),
            "content": pa.array(texts, pa.large_string()),
        }
    )
    bucket_rows(table.slice(0, 1), permutations=permutations, ngram=ngram, shape=shape)  # compile
    start = time.perf_counter()
    buckets = bucket_rows(table, permutations=permutations, ngram=ngram, shape=shape)
    edges = bucket_edges(buckets)
    seconds = time.perf_counter() - start
    roots = connected_components(edges)
    buckets_of = defaultdict(list)
    keys, docs = buckets["band_key"].to_pylist(), buckets["doc_id"].to_pylist()
    for key, doc in zip(keys, docs, strict=True):
        buckets_of[key].append(doc)
    candidates = {
        pair for docs in buckets_of.values() if len(docs) > 1 for pair in combinations(docs, 2)
    }
    return (
        seconds,
        dict(zip(roots["src"].to_pylist(), roots["dst"].to_pylist(), strict=True)),
        {(min(a, b), max(a, b)) for a, b in candidates},
    )


def _datasketch(
    texts: list[str], num_perm: int, ngram: int, threshold: float
) -> tuple[float, dict, set]:
    """Seconds for regex shingling + MinHash + MinHashLSH insert/query; roots; candidates."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(texts)))
    candidates = set()

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc, text in enumerate(texts):
        grams = shingles(text, ngram)
        if not grams:
            continue
        minhash = MinHash(num_perm=num_perm)
        minhash.update_batch([" ".join(g).encode("utf-8") for g in grams])
        for other in lsh.query(minhash):
            candidates.add((min(doc, other), max(doc, other)))
            a, b = find(doc), find(other)
            parent[max(a, b)] = min(a, b)
        lsh.insert(doc, minhash)
    seconds = time.perf_counter() - start
    return seconds, {d: find(d) for d in range(len(texts)) if find(d) != d}, candidates


def _pairs(roots: dict, docs: range) -> set[tuple[int, int]]:
    clusters = defaultdict(list)
    for doc in docs:
        clusters[roots.get(doc, doc)].append(doc)
    return {pair for members in clusters.values() for pair in combinations(sorted(members), 2)}


def _true_pairs(texts: list[str], docs: range, ngram: int, threshold: float) -> set:
    """Pairs of ``docs`` with exact Jaccard >= threshold (candidates share a shingle)."""
    sets = {d: shingles(texts[d], ngram) for d in docs}
    by_shingle = defaultdict(list)
    for doc, grams in sets.items():
        for gram in grams:
            by_shingle[gram].append(doc)
    candidates = {pair for ds in by_shingle.values() for pair in combinations(ds, 2)}
    return {
        (a, b)
        for a, b in candidates
        if len(sets[a] & sets[b]) >= threshold * len(sets[a] | sets[b])
    }


def _accuracy(predicted: set, truth: set) -> dict:
    hits = len(predicted & truth)
    return {
        "recall": round(hits / len(truth), 4) if truth else None,
        "precision": round(hits / len(predicted), 4) if predicted else None,
        "predicted_pairs": len(predicted),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=20.0, help="corpus size (MB of UTF-8)")
    parser.add_argument("--sample", type=int, default=3000, help="files checked for accuracy")
    parser.add_argument("--num-perm", type=int, default=256)  # StarCoder
    parser.add_argument("--ngram", type=int, default=5)  # StarCoder
    parser.add_argument("--threshold", type=float, default=0.7)  # StarCoder
    args = parser.parse_args(argv)

    texts = _corpus(args.megabytes)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    settings = (args.num_perm, args.ngram, args.threshold)
    ours_s, ours_roots, ours_candidates = _ours(texts, *settings)
    theirs_s, theirs_roots, theirs_candidates = _datasketch(texts, *settings)
    sample = range(min(args.sample, len(texts)))
    truth = _true_pairs(texts, sample, args.ngram, args.threshold)

    def side(seconds: float, roots: dict, candidates: set) -> dict:
        speed = {"seconds": round(seconds, 3), "docs_per_s": round(len(texts) / seconds, 1)}
        speed["mb_per_s"] = round(megabytes / seconds, 2)
        in_sample = {(a, b) for a, b in candidates if b < len(sample)}
        # Candidate pairs (sharing an LSH bucket) measure the hashing itself; cluster pairs
        # (same connected component) are what dedup acts on, and chains lower their precision.
        return speed | {
            "candidate_pairs": _accuracy(in_sample, truth),
            "cluster_pairs": _accuracy(_pairs(roots, sample), truth),
        }

    report = {
        "corpus": {"files": len(texts), "megabytes": round(megabytes, 2)},
        "band_shape": list(vars(optimal_band_shape(args.threshold, args.num_perm)).values()),
        "ours": side(ours_s, ours_roots, ours_candidates),
        "datasketch": side(theirs_s, theirs_roots, theirs_candidates),
        "speedup": round(theirs_s / ours_s, 1),
        "accuracy_sample": {"files": len(sample), "true_pairs": len(truth)},
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return report


if __name__ == "__main__":
    main()
