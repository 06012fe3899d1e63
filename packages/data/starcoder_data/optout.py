"""Opt-out: drop the code of developers who asked to be left out.

The Stack lets developers opt out of the dataset; StarCoder (Li et al. 2023,
section 3) removed their repositories before training. An opt-out list holds
repositories (``owner/name``) and whole owners (``owner``, meaning every
``owner/*``); GitHub names are case-insensitive, so matching is too.

List file format: one entry per line; ``#`` starts a comment; blank lines are
ignored, e.g.::

    # owners
    some-user
    some-org/some-repo
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from .schema import REPO
from .stage import Filter


@dataclass(frozen=True, kw_only=True)
class OptOutConfig:
    path: str | None = None  # a list file in the format above; none by default
    entries: frozenset[str] = field(default_factory=frozenset)  # extra entries, same syntax


class OptOutListError(ValueError):
    """An opt-out list line is neither ``owner`` nor ``owner/name``."""


def load_optout_list(path: str | Path) -> frozenset[str]:
    """The lower-cased entries of an opt-out list file."""
    entries = set()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.add(_parse_entry(entry, where=f"{path}:{number}"))
    return frozenset(entries)


def _parse_entry(entry: str, *, where: str) -> str:
    parts = entry.strip().split("/")
    if len(parts) > 2 or not all(parts) or any(c.isspace() for c in entry.strip()):
        raise OptOutListError(f"{where}: expected 'owner' or 'owner/name', got {entry!r}")
    return entry.strip().lower()


class OptOutFilter(Filter):
    """Drop rows whose repo, or its owner, is on the opt-out list."""

    stage = "optout"
    name = "repo"

    def __init__(self, config: OptOutConfig):
        entries = {_parse_entry(e, where="OptOutConfig.entries") for e in config.entries}
        if config.path is not None:
            entries |= load_optout_list(config.path)
        self.repos = frozenset(e for e in entries if "/" in e)
        self.owners = frozenset(e for e in entries if "/" not in e)

    def reasons(self, batch: pa.Table) -> list[str | None]:
        return [self._reason(repo) for repo in batch[REPO].to_pylist()]

    def _reason(self, repo: str | None) -> str | None:
        if not repo:
            return None
        repo = repo.lower()
        if repo in self.repos:
            return f"{self.stage}:repo"
        owner, slash, _name = repo.partition("/")
        if not slash and repo in self.owners:
            return f"{self.stage}:repo"  # a repo known without an owner, listed by its name
        if slash and owner in self.owners:
            return f"{self.stage}:owner"
        return None
