"""redact_pii.py with the baseline detector: report counts, bad input, nothing dropped, rerun."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest
from pii_corpus_fixture import EXPECTED_BASELINE, write_pii_corpus

from ray_jobs import redact_pii


def _read(folder):
    table = pads.dataset(str(folder), format="parquet", partitioning="hive").to_table()
    return {row["path"]: row for row in table.to_pylist()}


@pytest.mark.integration
def test_baseline_job_redacts_counts_and_is_idempotent(ray_cluster, tmp_path):
    data, rows = write_pii_corpus(tmp_path / "curated")
    out = tmp_path / "redacted"
    report = redact_pii.run(
        redact_pii.parse_args(
            [
                "--data",
                str(data),
                "--output",
                str(out),
                "--detector",
                "baseline",
                "--spans",
                "--actors",
                "1",
                "--batch-size",
                "4",
            ]
        )
    )
    assert report.files == rows and report.status.get("error", 0) == 0
    assert {k: v for k, v in report.spans.items() if v} == EXPECTED_BASELINE
    saved = json.loads((out / "report.json").read_text())
    assert saved["spans"] == report.spans and saved["files_per_s"] > 0
    redacted = _read(out / "data")
    assert len(redacted) == rows  # nothing dropped, bad input included
    settings = redacted["settings.py"]["content"]
    assert "<EMAIL>" in settings and '"<PASSWORD>"' in settings and '"<KEY>"' in settings
    assert json.loads(redacted["c.json"]["content"])["password"] == "<PASSWORD>"
    assert redacted["id_rsa.py"]["content"].splitlines()[1] == "<KEY>"
    spans = pads.dataset(str(out / "spans"), format="parquet").to_table().to_pylist()
    assert sum(len(json.loads(r["pii_spans"] or "[]")) for r in spans) == sum(
        EXPECTED_BASELINE.values()
    )

    again = tmp_path / "again"
    second = redact_pii.run(
        redact_pii.parse_args(
            ["--data", str(out / "data"), "--output", str(again), "--detector", "baseline"]
        )
    )
    assert second.status == {"already_redacted": rows}
    assert {p: r["content"] for p, r in _read(again / "data").items()} == {
        p: r["content"] for p, r in redacted.items()
    }


def test_refuses_a_learned_detector_without_a_model():
    with pytest.raises(SystemExit):
        redact_pii.parse_args(["--detector", "ner"])
    with pytest.raises(SystemExit):
        redact_pii.parse_args(["--detector", "learned"])


def test_the_model_means_the_learned_system_and_classes_can_be_chosen():
    job = redact_pii.parse_args(["--model", "m", "--classes", "NAME, KEY,PASSWORD"])
    assert job.chosen_detector() == "learned" and job.class_list() == ("NAME", "KEY", "PASSWORD")
    assert len(redact_pii.parse_args([]).class_list()) == 6
    assert redact_pii.parse_args([]).chosen_detector() == "rules"
    with pytest.raises(SystemExit):
        redact_pii.parse_args(["--classes", "SSN"])


def test_no_veto_unless_asked_and_only_for_the_learned_system_on_secrets():
    assert redact_pii.parse_args(["--model", "m"]).veto_list() == ()
    assert redact_pii.parse_args(["--model", "m", "--veto", "KEY"]).veto_list() == ("KEY",)
    for bad in (["--model", "m", "--veto", "EMAIL"], ["--veto", "KEY"]):  # baseline: no model
        with pytest.raises(SystemExit):
            redact_pii.parse_args(bad)
