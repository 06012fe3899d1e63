"""Reading a repository packed in a tar or zip archive, in memory.

Members are never extracted to disk: each one's bytes are read straight from
the archive. Member names that could escape the root when unpacked ("../x",
"/x") are reported as ``read:unsafe_path``; links as ``read:symlink``. An
archive that cannot be opened at all becomes one ``read:corrupt_archive`` row.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator

import pyarrow as pa

from .common import (
    CORRUPT_ARCHIVE,
    READ_ERRORS,
    SPECIAL_FILE,
    SYMLINK,
    UNREADABLE,
    UNSAFE_PATH,
    Entry,
    ReaderConfig,
    RepoSpec,
    failed_repo,
    is_unsafe_member,
    read_entries,
    read_outside_license_files,
)

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")


def is_archive_name(name: str) -> bool:
    """Whether ``name`` ends with one of the archive suffixes read here."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_stem(name: str) -> str:
    """``name`` without its archive suffix: ``proj-1.0.tar.gz`` -> ``proj-1.0``."""
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_archive_repo(spec: RepoSpec, config: ReaderConfig) -> Iterator[pa.Table]:
    """Rows of every member of the archive at ``spec.path``, sorted by path."""
    path = spec.path
    source = f"{spec.kind}:{spec.location}"
    if not os.path.isfile(path):
        yield failed_repo(spec, source, 0, UNREADABLE)
        return
    try:
        archive = _open(path)
    except READ_ERRORS:
        yield failed_repo(spec, source, _size_or_zero(path), CORRUPT_ARCHIVE)
        return
    with archive:
        try:
            is_zip = isinstance(archive, zipfile.ZipFile)
            entries = _zip_entries(archive) if is_zip else _tar_entries(archive)
        except READ_ERRORS:
            yield failed_repo(spec, source, _size_or_zero(path), CORRUPT_ARCHIVE)
            return
        entries = sorted(_place(entries, spec.include), key=lambda entry: entry.path)
        outside = read_outside_license_files(spec, config)
        yield from read_entries(spec, source, entries, config, outside)


def _open(path: str) -> zipfile.ZipFile | tarfile.TarFile:
    if zipfile.is_zipfile(path):
        return zipfile.ZipFile(path)
    return tarfile.open(path, mode="r:*")


def _size_or_zero(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _tar_entries(archive: tarfile.TarFile) -> list[Entry]:
    entries = []
    for member in archive.getmembers():  # scans the whole archive: a truncated one fails here
        if member.isdir():
            continue
        if member.issym() or member.islnk():
            entries.append(Entry(member.name, 0, SYMLINK))
        elif member.isreg():
            entries.append(Entry(member.name, member.size, None, _tar_loader(archive, member)))
        else:
            entries.append(Entry(member.name, 0, SPECIAL_FILE))
    return entries


def _tar_loader(archive: tarfile.TarFile, member: tarfile.TarInfo):
    def load(limit: int) -> bytes:
        return archive.extractfile(member).read(limit)

    return load


def _zip_entries(archive: zipfile.ZipFile) -> list[Entry]:
    entries = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            entries.append(Entry(info.filename, 0, SYMLINK))
        elif info.flag_bits & 0x1:  # encrypted: no password to read it with
            entries.append(Entry(info.filename, info.file_size, UNREADABLE))
        else:
            entries.append(Entry(info.filename, info.file_size, None, _zip_loader(archive, info)))
    return entries


def _zip_loader(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    def load(limit: int) -> bytes:
        with archive.open(info) as member:
            return member.read(limit)

    return load


def _place(entries: list[Entry], include: tuple[str, ...]) -> list[Entry]:
    """Entries with repo-relative paths: unsafe names flagged, the common top folder stripped.

    With ``include`` only members under those top-level folders are kept and
    nothing is stripped (the folder names are part of the repo's paths).
    """
    cleaned = [_clean(entry) for entry in entries]
    if include:
        return [e for e in cleaned if e.path.split("/", 1)[0] in include]
    safe = [e for e in cleaned if e.reason != UNSAFE_PATH]
    tops = {e.path.split("/", 1)[0] for e in safe}
    if len(tops) == 1 and all("/" in e.path for e in safe):
        cut = len(tops.pop()) + 1
        return [e if e.reason == UNSAFE_PATH else _renamed(e, e.path[cut:]) for e in cleaned]
    return cleaned


def _clean(entry: Entry) -> Entry:
    if is_unsafe_member(entry.path):
        return Entry(entry.path, entry.size, UNSAFE_PATH)
    path = entry.path
    while path.startswith("./"):
        path = path[2:]
    return _renamed(entry, path)


def _renamed(entry: Entry, path: str) -> Entry:
    return Entry(path, entry.size, entry.reason, entry.load)
