"""Reading a git repository at one commit through the ``git`` command line.

``git ls-tree`` lists the commit's files with their sizes (so a file over the
limit is never read) and modes (links and submodules are reported, not
followed); one ``git cat-file --batch`` process streams the blobs. A URL is
cloned ``--depth 1 --no-checkout`` into a temporary folder, removed afterwards:
the only thing any reader writes to disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator

import pyarrow as pa

from .common import (
    EMPTY_REPO,
    SUBMODULE,
    SYMLINK,
    UNREADABLE,
    Entry,
    ReaderConfig,
    RepoSpec,
    failed_repo,
    read_entries,
)

_SCP_URL = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@github.com:owner/name.git
_GIT_ENV = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def is_git_url(location: str) -> bool:
    """Whether ``location`` names a remote repository rather than a local path."""
    return not os.path.exists(location) and ("://" in location or bool(_SCP_URL.match(location)))


def split_ref(location: str) -> tuple[str, str]:
    """``"url#v1.0"`` -> ``("url", "v1.0")``; no ``#`` means HEAD."""
    base, _, ref = location.partition("#")
    return base, ref or "HEAD"


def git_repo_name(location: str) -> str:
    """``owner/name`` for a URL, the folder name for a local path, without ``.git``."""
    parts = [p for p in re.split(r"[/:]", location.rstrip("/")) if p]
    keep = parts[-2:] if is_git_url(location) else parts[-1:]
    name = "/".join(keep)
    return name[: -len(".git")] if name.endswith(".git") else name


def read_git_repo(spec: RepoSpec, config: ReaderConfig) -> Iterator[pa.Table]:
    """Rows of every file of the commit ``spec.ref`` names, sorted by path."""
    source = f"{spec.kind}:{spec.location}"
    with _local_copy(spec) as gitdir:
        if gitdir is None:
            yield failed_repo(spec, source, 0, UNREADABLE)
            return
        sha = _git(gitdir, "rev-parse", "--verify", "--quiet", f"{spec.ref}^{{commit}}")
        if sha is None:
            has_git_dir = _git(gitdir, "rev-parse", "--git-dir") is not None
            yield failed_repo(spec, source, 0, EMPTY_REPO if has_git_dir else UNREADABLE)
            return
        sha = sha.decode().strip()
        listing = _git(gitdir, "ls-tree", "-r", "-l", "-z", "--full-tree", sha)
        if listing is None:
            yield failed_repo(spec, f"{source}@{sha}", 0, UNREADABLE)
            return
        with _BlobReader(gitdir) as blobs:
            entries = sorted(_entries(listing, blobs), key=lambda entry: entry.path)
            yield from read_entries(spec, f"{source}@{sha}", entries, config)


@contextlib.contextmanager
def _local_copy(spec: RepoSpec) -> Iterator[str | None]:
    """The repository's folder: the local path itself, or a shallow temporary clone."""
    if not is_git_url(spec.path):
        yield spec.path if os.path.isdir(spec.path) else None
        return
    with tempfile.TemporaryDirectory(prefix="starcoder-git-") as tmp:
        command = ["git", "clone", "--quiet", "--depth", "1", "--no-checkout"]
        if spec.ref != "HEAD":
            command += ["--branch", spec.ref]
        done = subprocess.run(
            [*command, "--", spec.path, tmp], env=_GIT_ENV, capture_output=True, check=False
        )
        yield tmp if done.returncode == 0 else None


def _git(gitdir: str, *args: str) -> bytes | None:
    """Stdout of one git command in ``gitdir``; None if it failed."""
    done = subprocess.run(
        ["git", "-c", "safe.directory=*", "-C", gitdir, *args],
        env=_GIT_ENV,
        capture_output=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def _entries(listing: bytes, blobs: _BlobReader) -> Iterator[Entry]:
    # One record per file: "<mode> <type> <object> <size>\t<path>", NUL-terminated.
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, object_id, size = meta.split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind == b"commit":
            yield Entry(path, 0, SUBMODULE)
        elif mode == b"120000":
            yield Entry(path, 0, SYMLINK)
        else:
            yield Entry(path, int(size), None, blobs.loader(object_id))


class _BlobReader:
    """One ``git cat-file --batch`` process serving blobs by object id."""

    def __init__(self, gitdir: str):
        self.gitdir = gitdir
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> _BlobReader:
        self.process = subprocess.Popen(
            ["git", "-c", "safe.directory=*", "-C", self.gitdir, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_GIT_ENV,
        )
        return self

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        self.process.stdout.close()
        self.process.wait()

    def read(self, object_id: bytes) -> bytes:
        """The blob's bytes (the caller knows its size fits the limits)."""
        self.process.stdin.write(object_id + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise OSError(f"git cat-file cannot read {object_id.decode()}")
        size = int(header[2])
        data = self.process.stdout.read(size + 1)  # the blob and its trailing newline
        return data[:size]

    def loader(self, object_id: bytes):
        def load(limit: int) -> bytes:
            return self.read(object_id)[:limit]

        return load
