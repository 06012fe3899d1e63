"""How often askalono-based text identification names the license Debian declares.

Debian packages ship machine-readable copyright files (DEP-5) under
``/usr/share/doc/<package>/copyright``. For each one, the ground truth is the
``License:`` short name of the ``Files: *`` paragraph (normalised to SPDX;
packages whose truth is not a single recognisable id are skipped), and the
prediction is :func:`starcoder_data.licenses.identify_license_text` run on that
license's *text*: the text under the same ``License:`` name in the file, or
``/usr/share/common-licenses/<name>`` when the text refers there. This tests
text identification, not reading the label.

A license text does not say whether a grant is "version N only" or "N or
later" (that is in the notice), so predictions are compared on the license
family (``GPL-2.0-only`` and ``GPL-2.0-or-later`` agree); exact agreement is
reported too.

    python benchmarks/license_accuracy.py [--doc-dir /usr/share/doc] [--min-score 0.8]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

from _results import write_result
from starcoder_data.licenses import (
    TEXT_MATCH_MIN_SCORE,
    debian_license_to_spdx,
    dep5_paragraphs,
    identify_license_text,
    is_permissive,
)

_COMMON_LICENSE_REF = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9.+\-]+)")
_THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _unwrap(field_value: str) -> str:
    """The text of a DEP-5 multi-line field: drop the indent, ``.`` lines are blank lines."""
    lines = field_value.split("\n")[1:]
    return "\n".join("" if line.strip() == "." else line[1:] for line in lines)


def _referenced_common_license(text: str, name: str, common_dir: Path) -> str | None:
    """The common-licenses file the text points to, preferring the one named like the license.

    A ``GPL-2+`` text often mentions both ``.../GPL-2`` and ``.../GPL`` (the
    latest version), and only the first is that license's text.
    """
    references = _COMMON_LICENSE_REF.findall(text)
    references.sort(key=lambda ref: ref.rstrip(".") != name.rstrip("+"))
    for name in references:
        for candidate in (name, name.rstrip(".")):
            path = common_dir / candidate
            if path.is_file():
                return path.read_text(encoding="utf-8", errors="replace")
    return None


def _license_text(paragraphs: list[dict[str, str]], name: str, common_dir: Path) -> str | None:
    """Text of license ``name``: from its paragraph, or the common-licenses file it points to."""
    for paragraph in paragraphs:
        value = paragraph.get("License", "")
        if value.split("\n", 1)[0].strip() != name or "\n" not in value:
            continue
        text = _unwrap(value)
        return _referenced_common_license(text, name, common_dir) or text
    return None


def _family(spdx: str) -> str:
    return re.sub(r"-(only|or-later)$", "", spdx)


def _case(copyright_file: Path, common_dir: Path) -> tuple[str, str] | None:
    """(truth, license text) for one package, or None when it is not a usable case."""
    text = copyright_file.read_text(encoding="utf-8", errors="replace")
    paragraphs = dep5_paragraphs(text)
    if not paragraphs or "Format" not in paragraphs[0]:
        return None
    star = next((p for p in paragraphs if "*" in p.get("Files", "").split()), None)
    if star is None or "License" not in star:
        return None
    name = star["License"].split("\n", 1)[0].strip()
    truth = debian_license_to_spdx(name)
    if truth is None or " " in truth or truth.startswith("LicenseRef-"):
        return None
    license_text = _license_text(paragraphs, name, common_dir)
    return (truth, license_text) if license_text and license_text.strip() else None


def run(doc_dir: Path, common_dir: Path, min_score: float) -> dict:
    started = time.perf_counter()
    cases = []
    for copyright_file in sorted(doc_dir.glob("*/copyright")):
        case = _case(copyright_file, common_dir)
        if case:
            cases.append((copyright_file.parent.name, *case))
    identified: dict[str, tuple[str, float]] = {}
    for _, _, text in cases:
        if text not in identified:  # many packages share a common-licenses text
            match = identify_license_text(text, source="", min_score=0.0)
            identified[text] = (match.spdx, match.score) if match else ("none", 0.0)
    return _summarise(cases, identified, min_score, time.perf_counter() - started)


def _summarise(cases, identified, min_score: float, seconds: float) -> dict:
    per_license: dict[str, Counter] = {}
    confusions: Counter = Counter()
    by_threshold = Counter()
    accepted = Counter()
    exact = 0
    same_decision = 0  # what the license filter needs: permissive or not
    for _, truth, text in cases:
        name, score = identified[text]
        predicted = name if score >= min_score else "none"
        right = _family(predicted) == _family(truth)
        exact += predicted == truth
        same_decision += predicted != "none" and is_permissive(predicted) == is_permissive(truth)
        counts = per_license.setdefault(truth, Counter())
        counts["packages"] += 1
        counts["correct"] += right
        if not right:
            confusions[f"{truth} -> {predicted}"] += 1
        for threshold in _THRESHOLDS:
            accepted[threshold] += score >= threshold
            by_threshold[threshold] += score >= threshold and _family(name) == _family(truth)
    correct = sum(c["correct"] for c in per_license.values())
    n = len(cases)
    return {
        "packages": n,
        "correct": correct,
        "accuracy": round(correct / n, 4) if n else None,
        "exact_accuracy": round(exact / n, 4) if n else None,
        "permissive_decision_accuracy": round(same_decision / n, 4) if n else None,
        "min_score": min_score,
        "accuracy_by_min_score": {str(t): round(by_threshold[t] / n, 4) for t in _THRESHOLDS}
        if n
        else {},
        "precision_by_min_score": {
            str(t): round(by_threshold[t] / accepted[t], 4) for t in _THRESHOLDS if accepted[t]
        },
        "distinct_texts": len(identified),
        "per_license": {k: dict(v) for k, v in sorted(per_license.items())},
        "confusions": confusions.most_common(10),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--doc-dir", type=Path, default=Path("/usr/share/doc"))
    parser.add_argument("--common-licenses", type=Path, default=Path("/usr/share/common-licenses"))
    parser.add_argument("--min-score", type=float, default=TEXT_MATCH_MIN_SCORE)
    args = parser.parse_args()
    result = run(args.doc_dir, args.common_licenses, args.min_score)
    print(json.dumps(result, indent=2))
    write_result("license_accuracy", result)


if __name__ == "__main__":
    main()
