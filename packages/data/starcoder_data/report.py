"""The curation report: files and bytes in, kept and dropped, per stage, reason and language.

Built from one small table of counts (``language``, ``status``, ``files``,
``bytes``), where ``status`` is ``"kept"`` or a drop reason
``"<stage>:<reason>"``. ``in`` is counted independently (from the rows that
entered the final stage), so the check ``kept + dropped == in`` is a real
check: a row lost by a join or a writer would show up as a mismatch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

KEPT = "kept"

# Stages in pipeline order: the report lists them in this order.
STAGE_ORDER = (
    "read",
    "decode",
    "language",
    "optout",
    "license",
    "notebook",
    "quality",
    "issues",
    "commits",
    "decontam",
    "dedup",
)


@dataclass(frozen=True)
class Count:
    files: int = 0
    bytes: int = 0

    def __add__(self, other: Count) -> Count:
        return Count(self.files + other.files, self.bytes + other.bytes)

    def as_dict(self) -> dict[str, int]:
        return {"files": self.files, "bytes": self.bytes}


def _stage_of(status: str) -> str:
    return status.split(":", 1)[0]


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def build_report(
    counts: Iterable[Mapping], inputs: Mapping[str, Count], extra: Mapping | None = None
) -> dict:
    """Assemble the report from per-(language, status) counts.

    ``counts`` rows have keys language, status, files, bytes; ``inputs`` maps
    language -> Count of rows that entered the final stage. Raises if kept +
    dropped differs from in for any language.
    """
    per_language: dict[str, dict[str, Count]] = {}
    per_reason: dict[str, Count] = {}
    for row in counts:
        language = row["language"] or "unknown"
        status = row["status"]
        count = Count(int(row["files"]), int(row["bytes"]))
        per_language.setdefault(language, {})
        per_language[language][status] = per_language[language].get(status, Count()) + count
        if status != KEPT:
            per_reason[status] = per_reason.get(status, Count()) + count

    languages = {}
    mismatches = []
    for language in sorted(set(per_language) | set(inputs)):
        statuses = per_language.get(language, {})
        kept = statuses.get(KEPT, Count())
        dropped = sum((c for s, c in statuses.items() if s != KEPT), Count())
        entered = inputs.get(language, Count())
        if kept + dropped != entered:
            mismatches.append(f"{language}: in {entered}, kept {kept} + dropped {dropped}")
        languages[language] = {
            "in": entered.as_dict(),
            "kept": kept.as_dict(),
            "dropped": dropped.as_dict(),
            "dropped_by_reason": {s: c.as_dict() for s, c in sorted(statuses.items()) if s != KEPT},
        }
    if mismatches:
        raise ValueError("report does not add up: " + "; ".join(mismatches))

    stages: dict[str, dict] = {}
    for reason in sorted(per_reason, key=lambda r: (_stage_rank(_stage_of(r)), r)):
        stage = stages.setdefault(_stage_of(reason), {"dropped": Count(), "reasons": {}})
        stage["dropped"] += per_reason[reason]
        stage["reasons"][reason] = per_reason[reason].as_dict()
    for stage in stages.values():
        stage["dropped"] = stage["dropped"].as_dict()

    total_in = sum(inputs.values(), Count())
    total_kept = sum((Count(**v["kept"]) for v in languages.values()), Count())
    return {
        "totals": {
            "in": total_in.as_dict(),
            "kept": total_kept.as_dict(),
            "dropped": (
                Count(total_in.files - total_kept.files, total_in.bytes - total_kept.bytes)
            ).as_dict(),
        },
        "stages": stages,
        "languages": languages,
        **(dict(extra) if extra else {}),
    }


def _mb(n: int) -> str:
    return f"{n / 1e6:,.2f}"


def format_report(report: Mapping, max_languages: int = 30) -> str:
    """The report as the plain-text tables the job prints at the end."""
    lines = []
    totals = report["totals"]
    lines.append(f"{'':34}{'files':>10}{'MB':>12}")
    for key in ("in", "kept", "dropped"):
        lines.append(f"{key:34}{totals[key]['files']:>10,}{_mb(totals[key]['bytes']):>12}")
    lines.append("")
    lines.append(f"{'dropped by stage / reason':34}{'files':>10}{'MB':>12}")
    for stage, info in report["stages"].items():
        lines.append(
            f"{stage:34}{info['dropped']['files']:>10,}{_mb(info['dropped']['bytes']):>12}"
        )
        for reason, count in info["reasons"].items():
            lines.append(f"  {reason:32}{count['files']:>10,}{_mb(count['bytes']):>12}")
    lines.append("")
    header = f"{'language':22}{'in':>9}{'kept':>9}{'dropped':>9}{'in MB':>11}{'kept MB':>11}"
    lines.append(header)
    ranked = sorted(report["languages"].items(), key=lambda kv: -kv[1]["in"]["bytes"])
    for language, info in ranked[:max_languages]:
        lines.append(
            f"{language[:21]:22}{info['in']['files']:>9,}{info['kept']['files']:>9,}"
            f"{info['dropped']['files']:>9,}{_mb(info['in']['bytes']):>11}"
            f"{_mb(info['kept']['bytes']):>11}"
        )
    if len(ranked) > max_languages:
        lines.append(f"... {len(ranked) - max_languages} more languages in report.json")
    return "\n".join(lines)


def write_report(report: Mapping, path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")


def plot_language_mix(report: Mapping, path: Path, top: int = 25) -> None:
    """Bar chart of kept megabytes per language (the top ``top``) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = sorted(report["languages"].items(), key=lambda kv: -kv[1]["kept"]["bytes"])
    ranked = [(lang, info) for lang, info in ranked if info["kept"]["bytes"] > 0][:top]
    names = [lang for lang, _ in ranked][::-1]
    kept = [info["kept"]["bytes"] / 1e6 for _, info in ranked][::-1]
    dropped = [info["dropped"]["bytes"] / 1e6 for _, info in ranked][::-1]
    fig, ax = plt.subplots(figsize=(8, max(3, 0.32 * len(names) + 1.2)))
    rows = range(len(names))
    # Log scale: the mix spans several orders of magnitude.
    ax.barh([r + 0.2 for r in rows], kept, height=0.4, label="kept", color="#2b7bba")
    ax.barh([r - 0.2 for r in rows], dropped, height=0.4, label="dropped", color="#c9c9c9")
    ax.set_yticks(list(rows), names)
    ax.set_xscale("log")
    ax.set_xlabel("MB (log scale)")
    ax.set_title("Language mix after curation")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
