import json

import pytest
from starcoder_data.curation import CurationConfig, SourceSpec
from starcoder_data.report import (
    Count,
    CurationReport,
    StageDrops,
    Tally,
    build_report,
    format_report,
    plot_language_mix,
)

COUNTS = [
    {"language": "python", "status": "kept", "files": 3, "bytes": 300},
    {"language": "python", "status": "dedup:near", "files": 1, "bytes": 90},
    {"language": "python", "status": "read:symlink", "files": 1, "bytes": 0},
    {"language": "c", "status": "license:not_permissive", "files": 2, "bytes": 50},
    {"language": "c", "status": "kept", "files": 1, "bytes": 10},
]
INPUTS = {"python": Count(5, 390), "c": Count(3, 60)}


def test_report_accounts_for_every_file_by_stage_reason_and_language():
    report = build_report(COUNTS, INPUTS)
    assert report.totals == Tally(entered=Count(8, 450), kept=Count(4, 310), dropped=Count(4, 140))
    assert list(report.stages) == ["read", "license", "dedup"]
    assert report.stages["license"] == StageDrops(
        dropped=Count(2, 50), reasons={"license:not_permissive": Count(2, 50)}
    )
    assert report.languages["python"].dropped == Count(2, 90)
    assert report.languages["c"].kept == Count(1, 10)
    assert report.kept_by_language() == [("python", Count(3, 300)), ("c", Count(1, 10))]


def test_report_json_keeps_its_published_shape_and_reads_back(tmp_path):
    config = CurationConfig(sources=(SourceSpec(kind="git", location="g/r"),))
    report = build_report(COUNTS, INPUTS, files_read=8, seconds=1.5, config=config)
    report.write(tmp_path)
    raw = json.loads((tmp_path / "report.json").read_text())
    assert raw["totals"]["in"] == {"files": 8, "bytes": 450}
    assert raw["languages"]["python"]["dropped_by_reason"]["dedup:near"] == {
        "files": 1,
        "bytes": 90,
    }
    assert raw["config"]["sources"] == [{"kind": "git", "location": "g/r"}]
    assert CurationReport.read(tmp_path) == report


def test_report_refuses_counts_that_do_not_add_up():
    with pytest.raises(ValueError, match="python: in"):
        build_report(COUNTS, {**INPUTS, "python": Count(6, 390)})


def test_printed_table_and_chart(tmp_path):
    report = build_report(COUNTS, INPUTS)
    text = format_report(report)
    assert "license:not_permissive" in text and "python" in text
    plot_language_mix(report, tmp_path / "mix.png")
    assert (tmp_path / "mix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
