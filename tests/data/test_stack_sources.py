"""The Stack's published layouts as curation sources, read and staged without Ray."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stack_fixture import V1_ROWS, build_stack_sources, stdlib_source, v1_row, v2_row
from starcoder_data.curation import CurationConfig, SourceSpec, curate_stack_file, stack_stages
from starcoder_data.readers import (
    ReaderConfig,
    StackFile,
    StackSchemaError,
    StackSourceError,
    check_stack_source,
    discover_stack_files,
    read_stack_file,
)
from starcoder_data.readers.stack_schema import V1, V2, detect_layout, given_language
from starcoder_data.tokens.metadata import add_metadata

COLUMNS = ["repo", "path", "language", "license", "license_source", "stars", "drop_reason"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_stack_sources(tmp_path_factory.mktemp("stack"))


def _curate(kind: str, location, *, trust: bool = True) -> list[dict]:
    config = CurationConfig(trust_source_licenses=trust)
    stages = stack_stages(config, [])
    rows = []
    for file in check_stack_source(kind, str(location)):
        for batch in curate_stack_file(file, config, stages):
            rows.extend(batch.select(COLUMNS).to_pylist())
    return rows


def _by_path(rows: list[dict]) -> dict[str, dict]:
    return {row["path"]: row for row in rows}


def test_layouts_are_told_apart_by_their_columns():
    assert detect_layout(V1_ROWS[0], "x").version == V1
    v2 = detect_layout(v2_row("copy.py", "a/b", "copy.py", key="text"), "x")
    assert (v2.version, v2.content) == (V2, "text")
    with pytest.raises(StackSchemaError) as error:
        detect_layout(["code", "max_stars_repo_name"], "parquet:f")
    message = str(error.value)
    assert "\n" not in message and message.startswith("parquet:f is not in The Stack's layout")
    assert "content (or text)" in message and "max_stars_repo_path (The Stack v1)" in message
    assert "repo_name + path (v2)" in message


def test_v1_parquet_rows_map_onto_the_raw_schema(sources):
    rows = _by_path(_curate("parquet", sources["v1"]))
    assert rows["src/bisect.py"] == {
        "repo": "psf/bisect",
        "path": "src/bisect.py",
        "language": "python",
        "license": "MIT",
        "license_source": "the-stack:max_stars_repo_licenses",
        "stars": 1200,
        "drop_reason": None,
    }
    assert rows["null.py"]["drop_reason"] == "read:no_content"
    assert rows["empty.py"]["drop_reason"] == "read:empty_content"
    assert rows[""]["drop_reason"] == "read:corrupt_file"  # data-00001.parquet
    assert len(rows) == len(V1_ROWS) + 1  # the empty shard adds no row


def test_v1_content_reaches_the_row_and_stars_reach_the_metadata(sources):
    config = CurationConfig()
    (file, *_) = check_stack_source("parquet", str(sources["v1"]))
    (batch,) = curate_stack_file(file, config, stack_stages(config, []))
    row = batch.to_pylist()[0]
    assert row["content"] == stdlib_source("bisect.py")
    text = add_metadata(row["content"], row["repo"], row["path"], row["stars"],
                        np.random.default_rng(0), rate=1.0)  # fmt: skip
    assert text.startswith("<reponame>psf/bisect<filename>src/bisect.py<gh_stars>1000+\n")


def test_trusted_and_rechecked_licenses_differ_on_planted_files(sources):
    trusted = _by_path(_curate("parquet", sources["v1"]) + _curate("jsonl", sources["v2"]))
    checked = _by_path(
        _curate("parquet", sources["v1"], trust=False)
        + _curate("jsonl", sources["v2"], trust=False)
    )
    planted = {
        "colorsys.py": ("GPL-3.0-only", "license:not_permissive"),  # given GPL
        "fnmatch.py": ("GPL-3.0-only", "license:not_permissive"),  # MIT given, GPL header
        "textwrap.py": (None, "license:no_license"),  # v2 "no_license"
    }
    for path, (license, reason) in planted.items():
        assert trusted[path]["drop_reason"] is None
        assert (checked[path]["license"], checked[path]["drop_reason"]) == (license, reason)
    assert trusted["fnmatch.py"]["license"] == "MIT"
    assert checked["src/bisect.py"]["drop_reason"] is None


def test_v2_jsonl_plain_and_gzipped_with_a_malformed_line(sources):
    rows = _by_path(_curate("jsonl", sources["v2"]))
    assert set(rows) == {"lib/shlex.py", "textwrap.py", "copy.py", "line-2"}
    assert rows["lib/shlex.py"]["license"] == "Apache-2.0 AND MIT"
    assert rows["lib/shlex.py"]["stars"] == 7
    assert rows["copy.py"]["drop_reason"] is None  # read from "text" in the .jsonl.gz
    assert rows["line-2"]["drop_reason"] == "read:malformed_json"
    names = [f.path.rsplit("/", 1)[-1] for f in discover_stack_files("jsonl", str(sources["v2"]))]
    assert names == ["part-0.jsonl", "part-1.jsonl.gz", "part-2.jsonl"]


def test_a_save_to_disk_dataset_dict_is_read_split_by_split(sources):
    (file,) = discover_stack_files("hf", str(sources["hf"]))
    assert file.path.endswith("train/data-00000-of-00001.arrow")
    rows = _curate("hf", sources["hf"])
    assert [(r["repo"], r["stars"], r["drop_reason"]) for r in rows] == [
        ("psf/fractions", 50, None)
    ]


def test_a_single_split_save_to_disk_folder(tmp_path):
    import datasets

    datasets.Dataset.from_list([v2_row("copy.py", "a/b", "copy.py")]).save_to_disk(str(tmp_path))
    assert [r["repo"] for r in _curate("hf", tmp_path)] == ["a/b"]


def test_the_path_decides_the_language_and_the_given_one_fills_gaps(tmp_path):
    rows = [
        v1_row("glob.py", "a/x", "bin/globber"),  # no extension: Python as given
        v1_row("glob.py", "a/y", "x.h", content="int f(void);\n") | {"lang": "C++"},
        v1_row("glob.py", "a/z", "README", content="hello\n") | {"lang": "Brainfuck"},
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "x.parquet")
    found = {(r["path"], r["language"], r["drop_reason"]) for r in _curate("parquet", tmp_path)}
    assert found == {
        ("bin/globber", "python", None),
        ("x.h", "c", None),  # our table's .h rule beats the given C++
        ("README", "unknown", "language:unknown"),  # not one of our languages
    }
    assert given_language("C#") == "c-sharp" and given_language(None) is None


def test_empty_sources_yield_no_rows(sources, tmp_path):
    assert check_stack_source("parquet", str(sources["empty"])) == []
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(b""))
    (tmp_path / "blank.jsonl").write_text("\n\n")
    files = check_stack_source("jsonl", str(tmp_path))
    assert len(files) == 2
    assert [b for f in files for b in read_stack_file(f, ReaderConfig())] == []


def test_unknown_schema_and_missing_path_fail_in_one_line(sources, tmp_path):
    with pytest.raises(StackSchemaError, match="missing content \\(or text\\)"):
        check_stack_source("parquet", str(sources["unknown"]))
    with pytest.raises(StackSourceError, match="no such file or folder"):
        check_stack_source("jsonl", str(tmp_path / "nowhere"))
    with pytest.raises(StackSourceError, match="save_to_disk"):
        check_stack_source("hf", str(tmp_path))


def test_a_file_in_another_layout_inside_a_good_folder_is_counted(sources, tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps(v2_row("copy.py", "a/b", "copy.py")) + "\n")
    (tmp_path / "b.jsonl").write_text('{"code": "x"}\n')
    files = check_stack_source("jsonl", str(tmp_path))  # the first file decides the check
    reasons = [
        r for f in files for b in read_stack_file(f, ReaderConfig()) for r in b["drop_reason"]
    ]
    assert [r.as_py() for r in reasons] == [None, "read:unknown_schema"]


def test_a_truncated_gzip_keeps_its_rows_and_counts_the_damage(tmp_path):
    rows = [json.dumps(v2_row(m, "a/b", m)) for m in ("copy.py", "glob.py", "shlex.py")]
    data = gzip.compress("\n".join(rows).encode(), mtime=0)
    (tmp_path / "t.jsonl.gz").write_bytes(data[: len(data) // 2])
    (file,) = discover_stack_files("jsonl", str(tmp_path))
    reasons = [r.as_py() for b in read_stack_file(file, ReaderConfig()) for r in b["drop_reason"]]
    assert reasons[-1] == "read:corrupt_file" and len(reasons) >= 1


def test_oversized_content_is_dropped_like_any_other_file(tmp_path):
    row = v1_row("glob.py", "a/b", "big.py", content="x = 1\n" * 200)
    pq.write_table(pa.Table.from_pylist([row]), tmp_path / "x.parquet")
    file = StackFile(kind="parquet", path=str(tmp_path / "x.parquet"))
    (batch,) = read_stack_file(file, ReaderConfig(max_file_bytes=100, batch_bytes=1000))
    assert batch["drop_reason"].to_pylist() == ["read:too_large"]
    assert batch["data"].to_pylist() == [None]


def test_source_kinds_parse(tmp_path):
    spec = SourceSpec.parse(f"parquet:{tmp_path}")
    assert (spec.kind, spec.location) == ("parquet", str(tmp_path))
    assert SourceSpec.parse("hf:s3://bucket/saved").location == "s3://bucket/saved"
    with pytest.raises(ValueError, match="needs a location"):
        SourceSpec.parse("jsonl")


def test_hostile_json_values_become_counted_rows_not_a_lost_file(tmp_path):
    good = v2_row("copy.py", "a/b", "copy.py")
    records = [
        good | {"repo_name": 42, "star_events_count": 1e30, "detected_licenses": "MIT"},
        good | {"path": "/x.py", "content": "x = '\ud800'\n"},  # a lone surrogate
        good | {"path": "/y.py", "content": 7},
        [1, 2],  # valid JSON, not an object
    ]
    (tmp_path / "h.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    rows = _curate("jsonl", tmp_path)
    assert [(r["repo"], r["stars"], r["license"]) for r in rows][0] == ("", None, "MIT")
    assert [r["drop_reason"] for r in rows] == [
        None,
        "decode:invalid_utf8",
        "read:no_content",
        "read:malformed_json",
    ]
