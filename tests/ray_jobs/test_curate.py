"""The curation job end to end on a fixture corpus, on the session's Ray cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from corpus_fixture import build_corpus

from ray_jobs import curate

pytestmark = pytest.mark.integration

EXPECTED_DROPS = {
    "read:empty_repo": 1,
    "read:symlink": 1,  # the archive's link to /etc/passwd
    "read:symlink_loop": 2,
    "read:too_large": 1,
    "read:unsafe_path": 1,  # ../evil.py in the archive
    "decode:binary": 1,
    "decode:invalid_utf8": 1,
    "language:unknown": 5,  # the LICENSE / COPYING texts
    "optout:repo": 1,
    "license:no_license": 1,
    "license:not_permissive": 1,
    "notebook:malformed": 1,
    "quality:auto_generated": 1,
    "quality:json_yaml_size": 1,
    "quality:max_line_length": 1,
    "issues:bot": 1,
    "issues:malformed": 1,
    "decontam:humaneval": 1,
    "dedup:exact": 1,
    "dedup:near": 1,
}
# Of each planted duplicate pair exactly one file is kept: the one with the
# smaller doc id, a hash of where the file was found.
DUPLICATE_PAIRS = {
    "dedup:exact": {("alpha", "pkg/scanner.py"), ("beta", "vendored/scanner.py")},
    "dedup:near": {("alpha", "pkg/wrap.py"), ("beta", "vendored/wrap.py")},
}
EXPECTED_KEPT = {
    ("alpha", "analysis.ipynb", "jupyter-scripts"),
    ("alpha", "analysis.ipynb", "jupyter-structured"),
    ("alpha", "pkg/decoder.py", "python"),
    ("alpha", "pkg/encoder.py", "python"),
    ("beta", "bisect.py", "python"),
    ("beta", "heap.py", "python"),
    ("zeta-1.0", "zeta/shlex.py", "python"),
    ("acme/alpha", "issues/7", "github-issues"),
    (
        "acme/alpha",
        f"commits/{'3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e4b6d8f0a'}/pkg/scanner.py",
        "git-commits",
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def _argv(corpus: dict[str, Path], output: Path) -> list[str]:
    return [
        f"--source=directory:{corpus['repos']}",
        f"--source=archive:{corpus['archives']}",
        f"--source=issues:{corpus['issues']}",
        f"--source=commits:{corpus['commits']}",
        f"--optout={corpus['optout']}",
        f"--output={output}",
    ]


def _reasons(report: dict) -> dict[str, int]:
    return {
        reason: count["files"]
        for stage in report["stages"].values()
        for reason, count in stage["reasons"].items()
    }


@pytest.fixture(scope="module")
def output(ray_cluster, corpus, tmp_path_factory):
    """A run killed during dedup, then resumed: what users get after a crash."""
    output = tmp_path_factory.mktemp("run") / "out"

    def killed(*_args):
        raise KeyboardInterrupt("worker killed during dedup")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(curate, "find_duplicates_step", killed)
        with pytest.raises(KeyboardInterrupt):
            curate.main(_argv(corpus, output))
    assert (output / "_work/filtered/_SUCCESS").exists()
    assert not (output / "report.json").exists()
    assert curate.main(_argv(corpus, output)) == 0
    return output


def test_job_accounts_for_every_planted_case(corpus, output):
    report = json.loads((output / "report.json").read_text())

    assert _reasons(report) == EXPECTED_DROPS
    assert report["totals"]["in"]["files"] == 36
    assert report["totals"]["kept"]["files"] == len(EXPECTED_KEPT) + len(DUPLICATE_PAIRS)
    assert report["totals"]["dropped"]["files"] == sum(EXPECTED_DROPS.values())
    assert report["files_read"] == 35 and report["notebook_records_added"] == 1
    # this attempt's steps: the run resumed after its first step
    assert set(report["step_seconds"]) == {"duplicates", "final", "outputs"}
    for info in report["languages"].values():
        assert info["kept"]["files"] + info["dropped"]["files"] == info["in"]["files"]

    kept = pd.read_parquet(output / "data", partitioning=None)  # language: a file column
    kept_files = set(zip(kept.repo, kept.path, kept.language.astype(str), strict=True))
    dropped = pd.read_parquet(output / "dropped")
    where = zip(dropped.repo, dropped.path, strict=True)
    reasons = dict(zip(where, dropped.drop_reason, strict=True))
    for reason, pair in DUPLICATE_PAIRS.items():
        (survivor,) = {(r, p) for r, p, _ in kept_files} & pair
        (duplicate,) = pair - {survivor}
        assert reasons[duplicate] == reason
        kept_files.remove((*survivor, "python"))
    assert kept_files == EXPECTED_KEPT
    assert kept.content.notna().all() and "drop_reason" not in kept.columns
    assert len(dropped) == sum(EXPECTED_DROPS.values())
    assert reasons[("alpha", "contaminated.py")] == "decontam:humaneval"
    assert reasons[("zeta-1.0", "../evil.py")] == "read:unsafe_path"
    assert (output / "language_mix.png").stat().st_size > 0
    assert not (output / "_work").exists()
    assert not any(p.name == "evil.py" for p in corpus["archives"].parent.rglob("*"))


def test_rerun_reports_and_another_config_is_refused(corpus, output, capsys):
    first = (output / "report.json").read_text()
    assert curate.main(_argv(corpus, output)) == 0
    assert "already holds this run" in capsys.readouterr().out
    assert (output / "report.json").read_text() == first

    assert curate.main([*_argv(corpus, output), "--max-repos=1"]) == 2
    assert "holds a run with another config" in capsys.readouterr().err
