"""Reading a repository that is a directory on disk.

The walk never follows symlinks, so a link to a parent folder cannot make it
recurse; every link becomes a ``read:symlink`` (or ``read:symlink_loop``) row.
A ``.git`` folder is skipped: the checkout is read as plain files.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator

import pyarrow as pa

from .common import (
    SPECIAL_FILE,
    SYMLINK,
    SYMLINK_LOOP,
    UNREADABLE,
    Entry,
    ReaderConfig,
    RepoSpec,
    failed_repo,
    read_entries,
    read_outside_license_files,
)


def read_directory_repo(spec: RepoSpec, config: ReaderConfig) -> Iterator[pa.Table]:
    """Rows of every file under ``spec.path`` (or its ``include`` entries), sorted by path."""
    root = spec.path
    source = f"{spec.kind}:{spec.location}"
    if not os.path.isdir(root) or os.path.islink(root):
        yield failed_repo(spec, source, 0, UNREADABLE)
        return
    entries = sorted(_walk(root, spec), key=lambda entry: entry.path)
    outside = read_outside_license_files(spec, config)
    yield from read_entries(spec, source, entries, config, outside)


def _walk(root: str, spec: RepoSpec) -> Iterator[Entry]:
    """Entries under ``root``, without following symlinks."""
    if spec.include:
        for name in spec.include:
            yield from _visit(root, name, spec.exclude)
        return
    yield from _visit_children(root, "", spec.exclude)


def _visit_children(root: str, relative_dir: str, exclude: tuple[str, ...]) -> Iterator[Entry]:
    try:
        names = os.listdir(os.path.join(root, relative_dir))
    except OSError:
        yield Entry(relative_dir, 0, UNREADABLE)
        return
    for name in names:
        if name not in exclude:
            yield from _visit(root, f"{relative_dir}/{name}" if relative_dir else name, exclude)


def _visit(root: str, relative: str, exclude: tuple[str, ...]) -> Iterator[Entry]:
    full = os.path.join(root, relative)
    try:
        info = os.lstat(full)
    except OSError:
        yield Entry(relative, 0, UNREADABLE)
        return
    if stat.S_ISLNK(info.st_mode):
        yield Entry(relative, 0, SYMLINK_LOOP if _is_loop(full) else SYMLINK)
    elif stat.S_ISDIR(info.st_mode):
        yield from _visit_children(root, relative, exclude)
    elif stat.S_ISREG(info.st_mode):
        yield Entry(relative, info.st_size, None, _file_loader(full, info.st_size))
    else:
        yield Entry(relative, 0, SPECIAL_FILE)


def _is_loop(link: str) -> bool:
    """Whether ``link`` is part of a cycle or points at a folder that contains it."""
    try:
        os.stat(link)
    except OSError as error:
        return error.errno == errno.ELOOP
    target = os.path.realpath(link)
    parent = os.path.realpath(os.path.dirname(link))
    return os.path.isdir(target) and (parent == target or parent.startswith(target + os.sep))


def _file_loader(path: str, size: int):
    def load(limit: int) -> bytes:
        # O_NOFOLLOW: a file swapped for a link after the walk is refused, not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            # Ask for the size seen by the walk (a read of ``limit`` would reserve that
            # much per file); a file that grew since is read on, up to ``limit``.
            data = handle.read(min(limit, size + 1))
            if size < len(data) < limit:
                data += handle.read(limit - len(data))
            return data

    return load
