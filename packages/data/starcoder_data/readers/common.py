"""What every reader shares: the repo spec, the reader config, row building and licenses.

A reader turns one repository into ``RAW_FILE_SCHEMA`` batches. It emits one
row per file it meets, also for the files it cannot read (their ``data`` is
null and ``drop_reason`` says why), so the report can count every input.
"""

from __future__ import annotations

import functools
import lzma
import posixpath
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa

from ..schema import (
    DATA,
    DROP_REASON,
    LICENSE,
    LICENSE_SOURCE,
    PATH,
    RAW_FILE_SCHEMA,
    REPO,
    SIZE,
    SOURCE,
    STARS,
)
from .evidence import governing_section

READ_STAGE = "read"
SYMLINK = "read:symlink"
SYMLINK_LOOP = "read:symlink_loop"
UNSAFE_PATH = "read:unsafe_path"
TOO_LARGE = "read:too_large"
UNREADABLE = "read:unreadable"
SPECIAL_FILE = "read:special_file"  # fifos, sockets, devices: reading them could block
SUBMODULE = "read:submodule"  # a git submodule: its files live in another repository
CORRUPT_ARCHIVE = "read:corrupt_archive"
EMPTY_REPO = "read:empty_repo"

REPO_KINDS = ("directory", "folder", "git", "archive", "local")


@dataclass(frozen=True, kw_only=True)
class ReaderConfig:
    """Limits of the readers."""

    max_file_bytes: int = 1_000_000  # StarCoder: files over 1 MB dropped
    batch_bytes: int = 32 * 1024 * 1024  # keeps one batch well under a Ray block's size
    max_license_bytes: int = 1_000_000  # license evidence read per file, same bound as code

    def __post_init__(self):
        if self.batch_bytes < self.max_file_bytes:
            raise ValueError("batch_bytes must hold at least one file of max_file_bytes")


@dataclass(frozen=True, kw_only=True)
class RepoSpec:
    """One repository to read.

    ``kind`` and ``location`` are what the user named (they make the row's
    ``source``); ``root`` is what is actually opened: a directory, an archive
    file or a git repository (defaults to ``location``). ``include`` limits a
    repo to some top-level entries of ``root`` (one stdlib module, the loose
    headers of ``/usr/include``, one module folder of the JDK's ``src.zip``);
    their names stay in the paths. ``license_files`` is license evidence that
    lives outside the repo, as (name, absolute path) pairs: the name is the
    file's conventional name (``METADATA``, ``debian/copyright``), which tells
    the license detector how to parse it and becomes ``license_source``.
    """

    kind: str
    location: str
    name: str
    root: str = ""
    ref: str = "HEAD"  # git only: the commit-ish read
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = (".git",)  # entry names skipped at any depth
    license_files: tuple[tuple[str, str], ...] = ()
    stars: int | None = None  # GitHub stars; unknown for local sources

    def __post_init__(self):
        if self.kind not in REPO_KINDS:
            raise ValueError(f"unknown repo kind {self.kind!r}; expected one of {REPO_KINDS}")

    @property
    def path(self) -> str:
        """What the reader opens."""
        return self.root or self.location


@dataclass(frozen=True)
class Entry:
    """One file met inside a repo, before its bytes are read.

    ``load(limit)`` returns at most ``limit`` bytes of the file (a bound, so
    a file that grew or an archive header that lied cannot blow up memory); it
    is None where ``reason`` already says the file will not be read.
    """

    path: str
    size: int
    reason: str | None = None
    load: Callable[[int], bytes] | None = None


@dataclass(frozen=True)
class License:
    """The license stamped on every row of a repo (both fields null if none)."""

    spdx: str | None = None
    source: str | None = None


NO_LICENSE = License()


def detect_license(files: Mapping[str, bytes]) -> License:
    """The repo's license from its license files, through the licenses module."""
    if not files:
        return NO_LICENSE
    return _detect_license_once(tuple(sorted(files.items())))


@functools.lru_cache(maxsize=128)
def _detect_license_once(files: tuple[tuple[str, bytes], ...]) -> License:
    # Installed trees share their evidence (every stdlib module, every JDK module):
    # identifying a license text costs ~0.1 s, so each distinct set is matched once.
    from ..licenses import detect_repo_license

    match = detect_repo_license(dict(files))
    return License(match.spdx, match.source) if match is not None else NO_LICENSE


def is_license_path(path: str) -> bool:
    """Whether ``path`` (repo-relative) is license evidence at the repo root.

    Only root-level files count (``debian/copyright`` too): a vendored
    folder's LICENSE speaks for that folder, not for the repo.
    """
    from ..licenses import is_license_file

    return (posixpath.dirname(path) in ("", "debian")) and is_license_file(path)


def read_license_files(entries: Iterable[Entry], config: ReaderConfig) -> dict[str, bytes]:
    """Bytes of the readable root-level license files among ``entries``."""
    files = {}
    for entry in entries:
        if entry.reason is None and entry.size <= config.max_license_bytes:
            if is_license_path(entry.path):
                try:
                    data = entry.load(config.max_license_bytes + 1)
                except READ_ERRORS:
                    continue
                if len(data) <= config.max_license_bytes:
                    files[entry.path] = data
    return files


# What reading one file or archive member can raise: IO errors, zlib/lzma/bz2
# errors (OSError/ValueError/EOFError subclasses), tarfile/zipfile errors,
# encrypted zip members (RuntimeError).
READ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
    tarfile.TarError,
    zipfile.BadZipFile,
)

_DRIVE = re.compile(r"^[A-Za-z]:")


def is_unsafe_member(name: str) -> bool:
    """Whether an archive member name could escape the repo root when unpacked."""
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in re.split(r"[\\/]", name)


def _text(path: str) -> str:
    """``path`` as valid UTF-8: undecodable bytes of a file name (kept by the OS
    as surrogates) become U+FFFD, so one odd name cannot fail a whole batch."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _row_bytes(row: dict) -> int:
    data = row[DATA]
    return (len(data) if data is not None else 0) + len(row[PATH]) + 64


class BatchBuilder:
    """Collects rows of one repo and cuts them into batches of at most ``batch_bytes``."""

    def __init__(self, spec: RepoSpec, source: str, license: License, batch_bytes: int):
        self.spec = spec
        self.source = source
        self.license = license
        self.batch_bytes = batch_bytes
        self.rows: list[dict] = []
        self.bytes = 0
        self.count = 0

    def add(self, path: str, size: int, data: bytes | None, reason: str | None) -> pa.Table | None:
        """Add one row; returns the full batch it closed, if any."""
        row = {
            REPO: self.spec.name,
            PATH: _text(path),
            SOURCE: self.source,
            LICENSE: self.license.spdx,
            LICENSE_SOURCE: self.license.source,
            STARS: self.spec.stars,
            SIZE: size,
            DATA: data,
            DROP_REASON: reason,
        }
        size_in_batch = _row_bytes(row)
        full = None
        if self.rows and self.bytes + size_in_batch > self.batch_bytes:
            full = self.flush()
        self.rows.append(row)
        self.bytes += size_in_batch
        self.count += 1
        return full

    def flush(self) -> pa.Table | None:
        """The rows collected so far as one table (None if there are none)."""
        if not self.rows:
            return None
        table = pa.Table.from_pylist(self.rows, schema=RAW_FILE_SCHEMA)
        self.rows, self.bytes = [], 0
        return table


def load_entry(entry: Entry, max_file_bytes: int) -> tuple[bytes | None, str | None]:
    """The bytes of ``entry`` and its drop reason, never raising."""
    if entry.reason is not None:
        return None, entry.reason
    if entry.size > max_file_bytes:
        return None, TOO_LARGE
    try:
        data = entry.load(max_file_bytes + 1)
    except READ_ERRORS:
        return None, UNREADABLE
    if len(data) > max_file_bytes:
        return None, TOO_LARGE
    return data, None


def emit_rows(
    spec: RepoSpec,
    source: str,
    entries: Iterable[Entry],
    license: License,
    config: ReaderConfig,
) -> Iterator[pa.Table]:
    """Read ``entries`` in order into batches; an empty repo yields one ``empty_repo`` row."""
    builder = BatchBuilder(spec, source, license, config.batch_bytes)
    for entry in entries:
        data, reason = load_entry(entry, config.max_file_bytes)
        full = builder.add(entry.path, entry.size, data, reason)
        if full is not None:
            yield full
    if builder.count == 0:
        builder.add("", 0, None, EMPTY_REPO)
    last = builder.flush()
    if last is not None:
        yield last


def failed_repo(spec: RepoSpec, source: str, size: int, reason: str) -> pa.Table:
    """One row standing for a whole repo that could not be opened."""
    builder = BatchBuilder(spec, source, NO_LICENSE, 1 << 62)
    builder.add("", size, None, reason)
    return builder.flush()


def read_entries(
    spec: RepoSpec,
    source: str,
    entries: list[Entry],
    config: ReaderConfig,
    extra_license_files: Mapping[str, bytes] | None = None,
) -> Iterator[pa.Table]:
    """Detect the repo's license from its root license files, then emit every entry."""
    files = read_license_files(entries, config)
    files.update(extra_license_files or {})
    yield from emit_rows(spec, source, entries, detect_license(files), config)


def read_outside_license_files(spec: RepoSpec, config: ReaderConfig) -> dict[str, bytes]:
    """Bytes of ``spec.license_files`` keyed by their names; unreadable ones skipped."""
    files = {}
    for name, path in spec.license_files:
        try:
            with open(path, "rb") as handle:
                data = handle.read(config.max_license_bytes + 1)
        except OSError:
            continue
        if len(data) <= config.max_license_bytes:
            files[name] = governing_section(data)
    return files
