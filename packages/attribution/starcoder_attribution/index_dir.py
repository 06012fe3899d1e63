"""The on-disk layout of an attribution index, written by ``build_index.py``.

<index>/manifest.json     what was indexed and how (checked on open)
<index>/membership.bloom  the Bloom filter (see :mod:`.bloom`)
<index>/search/           the full-text index (see :mod:`.search`)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .membership import MembershipConfig

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERSHIP_FILE = "membership.bloom"
SEARCH_DIR = "search"


class IndexNotFoundError(FileNotFoundError):
    """No attribution index where one was expected; the message names the path."""


@dataclass(frozen=True, kw_only=True)
class IndexManifest:
    membership: MembershipConfig
    files: int
    ngrams: int
    distinct_ngrams: int  # HyperLogLog estimate the filter was sized for
    text_bytes: int
    sources: list[str]  # the Parquet folders the index was built from
    search_backend: str = "tantivy"

    def to_dict(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "membership": self.membership.to_dict(),
            "files": self.files,
            "ngrams": self.ngrams,
            "distinct_ngrams": self.distinct_ngrams,
            "text_bytes": self.text_bytes,
            "sources": self.sources,
            "search_backend": self.search_backend,
        }


def write_manifest(directory: str | Path, manifest: IndexManifest) -> Path:
    path = Path(directory) / MANIFEST
    path.write_text(json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(directory: str | Path) -> IndexManifest:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(
            f"{directory} is not an attribution index: {path.name} is missing "
            "(build one with ray_jobs/build_index.py)"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {raw.get('format')!r}, expected {FORMAT_VERSION}")
        return IndexManifest(
            membership=MembershipConfig.from_dict(raw["membership"]),
            files=raw["files"],
            ngrams=raw["ngrams"],
            distinct_ngrams=raw["distinct_ngrams"],
            text_bytes=raw["text_bytes"],
            sources=raw["sources"],
            search_backend=raw["search_backend"],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise IndexNotFoundError(f"{path} is not a valid index manifest: {error}") from error
