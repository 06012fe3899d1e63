"""The curation job's recipe options, parsed without starting Ray."""

from __future__ import annotations

from pathlib import Path

import pytest

from ray_jobs import curate


def test_decontaminate_files_are_resolved_into_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("apps.jsonl").write_text('{"prompt": "Read n and print n squared."}\n')
    job = curate.parse_args(["--decontaminate", "apps.jsonl", "--decontaminate=gsm8k.jsonl"])
    config = curate.recipe(job)
    assert config.decontamination.extra_benchmarks == (
        str(tmp_path / "apps.jsonl"),
        str(tmp_path / "gsm8k.jsonl"),
    )
    default = curate.recipe(curate.parse_args([]))
    assert default.decontamination.extra_benchmarks == ()
    assert default.as_dict()["decontamination"]["extra_benchmarks"] == []


def test_a_benchmark_file_named_like_a_packaged_benchmark_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        curate.parse_args(["--decontaminate", str(tmp_path / "humaneval.jsonl")])
    assert "must differ" in capsys.readouterr().err
