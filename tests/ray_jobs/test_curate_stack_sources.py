"""The curation job over The Stack's layouts (Parquet, JSON lines, save_to_disk) in one run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from stack_fixture import (
    DROPS_TRUSTED,
    HF_ROWS,
    KEPT_TRUSTED,
    V1_ROWS,
    V2_GZ_ROWS,
    V2_ROWS,
    build_stack_sources,
)
from starcoder_data.tokens.metadata import add_metadata

from ray_jobs import curate


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_stack_sources(tmp_path_factory.mktemp("stack"))


def _argv(sources, output, *extra: str) -> list[str]:
    return [
        f"--source=parquet:{sources['v1']}",
        f"--source=jsonl:{sources['v2']}",
        f"--source=hf:{sources['hf']}",
        f"--source=parquet:{sources['empty']}",
        f"--output={output}",
        *extra,
    ]


def test_unknown_schema_is_refused_before_any_work(sources, tmp_path, capsys):
    output = tmp_path / "out"
    argv = [*_argv(sources, output), f"--source=parquet:{sources['unknown']}"]
    assert curate.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: parquet:") and "missing content (or text)" in line
    assert not output.exists()


def test_license_flag_reaches_the_recipe(sources, tmp_path):
    assert curate.recipe(curate.parse_args(_argv(sources, tmp_path))).trust_source_licenses
    checked = curate.parse_args([*_argv(sources, tmp_path), "--source-licenses", "recheck"])
    assert not curate.recipe(checked).trust_source_licenses


def test_max_repos_caps_the_data_files_of_each_stack_source(sources, tmp_path):
    job = curate.parse_args([*_argv(sources, tmp_path), "--max-repos", "1"])
    files = curate._stack_files(curate.recipe(job))
    names = [f.path.rsplit("/", 1)[-1] for f in files]
    assert names == ["data-00000.parquet", "part-0.jsonl", "data-00000-of-00001.arrow"]
    assert len(curate._stack_files(curate.recipe(curate.parse_args(_argv(sources, tmp_path))))) == 7


@pytest.mark.integration
def test_every_layout_in_one_run_loads_with_datasets(ray_cluster, sources, tmp_path):
    import datasets

    output = tmp_path / "out"
    assert curate.main(_argv(sources, output)) == 0
    report = json.loads((output / "report.json").read_text())

    rows_in = len(V1_ROWS) + len(V2_ROWS) + len(V2_GZ_ROWS) + len(HF_ROWS)
    rows_in += DROPS_TRUSTED["read:corrupt_file"] + DROPS_TRUSTED["read:malformed_json"]
    reasons = {
        reason: count["files"]
        for stage in report["stages"].values()
        for reason, count in stage["reasons"].items()
    }
    assert reasons == DROPS_TRUSTED
    assert report["totals"]["in"]["files"] == rows_in
    assert report["totals"]["kept"]["files"] == len(KEPT_TRUSTED)
    assert report["totals"]["dropped"]["files"] == sum(DROPS_TRUSTED.values())

    kept = datasets.load_dataset("parquet", data_dir=str(output / "data"), split="train")
    assert {"content", "repo", "path", "stars", "license", "language"} <= set(kept.column_names)
    assert set(zip(kept["repo"], kept["path"], strict=True)) == KEPT_TRUSTED
    assert set(kept["language"]) == {"python"}
    row = next(r for r in kept if r["repo"] == "psf/bisect")
    assert (row["stars"], row["license"]) == (1200, "MIT")
    text = add_metadata(
        row["content"], row["repo"], row["path"], row["stars"], np.random.default_rng(0), 1.0
    )
    assert "<gh_stars>1000+\n" in text
