from __future__ import annotations

import json
from collections import Counter
from importlib.resources import files

import pytest
from starcoder_data.languages import (
    DATA_FORMATS,
    STARCODER_LANGUAGES,
    LanguageTagger,
    language_of,
)
from starcoder_data.schema import file_table


def _table() -> dict:
    return json.loads(files("starcoder_data").joinpath("languages.json").read_text("utf-8"))


def test_table_has_the_86_starcoder_languages():
    assert len(STARCODER_LANGUAGES) == 86
    assert len(set(STARCODER_LANGUAGES)) == 86
    assert {"python", "cpp", "c-sharp", "java", "javascript", "verilog"} <= set(STARCODER_LANGUAGES)
    assert DATA_FORMATS == ("json", "yaml")


def test_no_extension_or_filename_maps_to_two_languages():
    table = _table()
    entries = Counter(
        entry if not entry.startswith(".") else entry.lower()
        for group in ("languages", "data_formats", "notebooks")
        for names in table[group].values()
        for entry in names
    )
    assert [entry for entry, count in entries.items() if count > 1] == []


def test_every_clash_resolves_to_the_language_that_owns_the_extension():
    table = _table()
    for extension, clash in table["clashes"].items():
        assert language_of(f"x{extension}") == clash["language"], extension
        assert clash["reason"]


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/main.py", "python"),
        ("SRC/MAIN.PY", "python"),
        ("lib/util.h", "c"),
        ("lib/util.hpp", "cpp"),
        ("Foo.C", "c"),
        ("model.m", "matlab"),
        ("script.pl", "perl"),
        ("rtl/top.v", "verilog"),
        ("rtl/defs.vh", "verilog"),
        ("app/index.ts", "typescript"),
        ("App.tsx", "typescript"),
        ("Program.cs", "c-sharp"),
        ("parser.ML", "ocaml"),
        ("build/Dockerfile", "dockerfile"),
        ("dockerfile", "unknown"),
        ("Makefile", "makefile"),
        ("CMakeLists.txt", "cmake"),
        ("notes.txt", "unknown"),
        ("config.cmake.in", "cmake"),
        ("lib.rs.in", "rust"),
        ("a/b/analysis.ipynb", "jupyter"),
        ("data.json", "json"),
        ("ci.yml", "yaml"),
        ("header.inc", "unknown"),
        ("project.pro", "unknown"),
        ("README", "unknown"),
        (".emacs", "emacs-lisp"),
        ("archive.tar.gz", "unknown"),
        ("", "unknown"),
    ],
)
def test_language_of(path, language):
    assert language_of(path) == language


def test_tagger_fills_language_for_every_row_dropped_ones_too():
    batch = file_table(
        [
            {"repo": "o/r", "path": "a.py", "source": "t", "size": 1, "content": "x"},
            {"repo": "o/r", "path": "b.go", "source": "t", "size": 1, "drop_reason": "x:y"},
            {"repo": "o/r", "path": "c.zzz", "source": "t", "size": 1, "content": "x"},
        ]
    )
    tagged = LanguageTagger()(batch)
    assert tagged["language"].to_pylist() == ["python", "go", "unknown"]
    assert tagged.schema == batch.schema
    assert tagged["drop_reason"].to_pylist() == [None, "x:y", None]
