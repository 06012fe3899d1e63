"""Source readers: find repositories and turn each into ``RAW_FILE_SCHEMA`` batches.

A repository is the unit: :func:`discover_repos` lists the repos a source
holds, :func:`read_repo` reads one into batches with one row per file met,
including the files it could not read (``data`` null, ``drop_reason``
``"read:<reason>"``), so the report accounts for every input. Every row carries
the repo's license, detected from its license files before any file is
streamed. Kinds:

- ``"directory"``: a folder of repos, one sub-folder each.
- ``"folder"``: one folder read as one repo, e.g. a team's own code to fine-tune on.
- ``"git"``: one git repository (path or URL, ``#ref`` to pick a commit-ish).
- ``"archive"``: a tar/zip file, or a folder of them, one archive each.
- ``"local"``: the source trees installed on this machine
  (:func:`local_corpus_roots`); the location selects root labels.

The Stack's published files (``"parquet"``, ``"jsonl"``, ``"hf"``) are read by
:mod:`.stack`: there a data file, not a repository, is the unit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow as pa

from .archive import archive_stem, is_archive_name, read_archive_repo
from .common import REPO_KINDS, ReaderConfig, RepoSpec
from .directory import read_directory_repo
from .git import git_repo_name, read_git_repo, split_ref
from .local import LocalRoot, discover_local_repos, local_corpus_roots
from .stack import (
    STACK_KINDS,
    GivenLanguageTagger,
    StackDecoder,
    StackFile,
    check_stack_source,
    discover_stack_files,
    read_stack_file,
)
from .stack_schema import StackSchemaError, StackSourceError

__all__ = [
    "REPO_KINDS",
    "STACK_KINDS",
    "GivenLanguageTagger",
    "LocalRoot",
    "ReaderConfig",
    "RepoSpec",
    "StackDecoder",
    "StackFile",
    "StackSchemaError",
    "StackSourceError",
    "check_stack_source",
    "discover_repos",
    "discover_stack_files",
    "local_corpus_roots",
    "read_repo",
    "read_stack_file",
]


def discover_repos(kind: str, location: str) -> list[RepoSpec]:
    """The repos found at ``location``, sorted by name.

    A location that does not exist still yields one repo, which reads as a
    single ``read:unreadable`` row, so a typo shows in the report.
    """
    if kind == "local":
        return discover_local_repos(location)
    if kind == "git":
        base, ref = split_ref(location)
        return [RepoSpec(kind=kind, location=base, name=git_repo_name(base), ref=ref)]
    if kind == "directory":
        return _discover_directories(location)
    if kind == "folder":
        name = os.path.basename(os.path.normpath(os.path.abspath(location)))
        return [_spec("folder", location, name)]
    if kind == "archive":
        return _discover_archives(location)
    raise ValueError(f"unknown repo kind {kind!r}; expected one of {REPO_KINDS}")


def read_repo(spec: RepoSpec, config: ReaderConfig) -> Iterator[pa.Table]:
    """``RAW_FILE_SCHEMA`` batches of one repo, each under ``config.batch_bytes``, by path."""
    if spec.kind == "git":
        return read_git_repo(spec, config)
    if spec.kind == "archive" or (spec.kind == "local" and os.path.isfile(spec.path)):
        return read_archive_repo(spec, config)
    return read_directory_repo(spec, config)


def _discover_directories(location: str) -> list[RepoSpec]:
    if not os.path.isdir(location):
        return [_spec("directory", location, os.path.basename(os.path.normpath(location)))]
    return [
        _spec("directory", os.path.join(location, name), name)
        for name in sorted(os.listdir(location))
        if os.path.isdir(os.path.join(location, name))
        and not os.path.islink(os.path.join(location, name))
    ]


def _discover_archives(location: str) -> list[RepoSpec]:
    if not os.path.isdir(location):
        return [_spec("archive", location, archive_stem(os.path.basename(location)))]
    return [
        _spec("archive", os.path.join(location, name), archive_stem(name))
        for name in sorted(os.listdir(location))
        if is_archive_name(name) and os.path.isfile(os.path.join(location, name))
    ]


def _spec(kind: str, location: str, name: str) -> RepoSpec:
    return RepoSpec(kind=kind, location=location, name=name)
