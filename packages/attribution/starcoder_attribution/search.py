"""Full-text search over the training files: which files does this snippet come from?

StarCoder served this with Elasticsearch; the embedded default here is
``tantivy`` (a Lucene-like engine in Rust, BM25 scoring), which needs no
server. Every backend implements :class:`SearchBackend`, so the query API and
the serve app do not care which one answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# tantivy's default tokenizer: alphanumeric runs, lowercased, tokens over 40 bytes dropped.
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
_MAX_TERM_BYTES = 40
MAX_QUERY_TERMS = 256  # BM25 over more distinct terms adds latency, not precision


@dataclass(frozen=True, kw_only=True)
class SourceFile:
    """One training file as the index stores it (the curated Parquet's columns)."""

    repo: str
    path: str
    language: str
    license: str
    stars: int | None
    content: str

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]


@dataclass(frozen=True, kw_only=True)
class SearchHit:
    source: SourceFile
    score: float


class SearchIndexError(RuntimeError):
    """A search index that is missing or unreadable; the message names the folder."""


class SearchBackend(Protocol):
    def add(self, files: Iterable[SourceFile]) -> int: ...
    def commit(self) -> None: ...
    def search(self, snippet: str, limit: int = 10) -> list[SearchHit]: ...
    def files_of(self, repo_or_owner: str, limit: int = 10_000) -> list[SourceFile]: ...
    def count(self) -> int: ...


def query_terms(snippet: str) -> list[str]:
    """The distinct index terms of a snippet, in first-seen order, at most MAX_QUERY_TERMS."""
    seen: dict[str, None] = {}
    for match in _TERM.finditer(snippet):
        term = match.group().lower()
        if len(term.encode("utf-8")) <= _MAX_TERM_BYTES:
            seen.setdefault(term, None)
        if len(seen) == MAX_QUERY_TERMS:
            break
    return list(seen)


class TantivySearch:
    """A tantivy index in one folder: BM25 on ``content``, exact ``repo`` and ``owner``."""

    _WRITER_HEAP = 256 * 1024 * 1024

    def __init__(self, index, writer=None):
        self._index = index
        self._writer = writer

    @staticmethod
    def _schema():
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("content", stored=True, index_option="freq")
        for name in ("repo", "owner", "path", "language", "license"):
            builder.add_text_field(name, stored=True, tokenizer_name="raw")
        builder.add_integer_field("stars", stored=True)
        return builder.build()

    @classmethod
    def create(cls, directory: str | Path, *, threads: int = 1) -> TantivySearch:
        import tantivy

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(cls._schema(), path=str(directory))
        return cls(index, index.writer(heap_size=cls._WRITER_HEAP, num_threads=threads))

    @classmethod
    def open(cls, directory: str | Path) -> TantivySearch:
        import tantivy

        directory = Path(directory)
        if not (directory / "meta.json").is_file():
            raise SearchIndexError(f"search index {directory} does not exist (no meta.json)")
        try:
            index = tantivy.Index.open(str(directory))
            index.reload()
            index.searcher()
        except ValueError as error:
            raise SearchIndexError(f"search index {directory} is unreadable: {error}") from error
        return cls(index)

    def add(self, files: Iterable[SourceFile]) -> int:
        import tantivy

        if self._writer is None:
            raise RuntimeError("this search index was opened read-only")
        added = 0
        for file in files:
            document = tantivy.Document(
                content=file.content,
                repo=file.repo,
                owner=file.owner,
                path=file.path,
                language=file.language,
                license=file.license,
            )
            if file.stars is not None:
                document.add_integer("stars", file.stars)
            self._writer.add_document(document)
            added += 1
        return added

    def commit(self) -> None:
        self._writer.commit()
        self._writer.wait_merging_threads()
        self._writer = None
        self._index.reload()

    def _source(self, searcher, address) -> SourceFile:
        stored = searcher.doc(address)
        stars = stored.get_first("stars")
        return SourceFile(
            repo=stored.get_first("repo"),
            path=stored.get_first("path"),
            language=stored.get_first("language"),
            license=stored.get_first("license"),
            stars=stars,
            content=stored.get_first("content"),
        )

    def search(self, snippet: str, limit: int = 10) -> list[SearchHit]:
        import tantivy

        terms = query_terms(snippet)
        if not terms:
            return []
        schema = self._index.schema
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(schema, "content", term))
                for term in terms
            ]
        )
        searcher = self._index.searcher()
        result = searcher.search(query, limit=limit, count=False)
        return [
            SearchHit(source=self._source(searcher, address), score=score)
            for score, address in result.hits
        ]

    def files_of(self, repo_or_owner: str, limit: int = 10_000) -> list[SourceFile]:
        """Every indexed file of a repo (``owner/name``) or of all an owner's repos."""
        import tantivy

        field_name = "repo" if "/" in repo_or_owner else "owner"
        query = tantivy.Query.term_query(self._index.schema, field_name, repo_or_owner)
        searcher = self._index.searcher()
        result = searcher.search(query, limit=limit, count=False)
        files = [self._source(searcher, address) for _, address in result.hits]
        return sorted(files, key=lambda f: (f.repo, f.path))

    def count(self) -> int:
        return self._index.searcher().num_docs
