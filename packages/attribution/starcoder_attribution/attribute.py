"""One query API over both tools: a snippet in; matched spans, fraction and sources out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .index_dir import MEMBERSHIP_FILE, SEARCH_DIR, read_manifest
from .membership import MembershipResult, check_membership, open_filter
from .normalize import normalize_whitespace
from .search import SourceFile, TantivySearch

MAX_QUERY_CHARS = 100_000  # ~100 KB: far above a completion, bounds the work per query
MIN_LINE_CHARS = 16  # shorter lines ("return 0;", "} else {") match almost every file


class AttributionQueryError(ValueError):
    """A query that cannot be attributed: empty, too large, binary or not UTF-8."""


@dataclass(frozen=True, kw_only=True)
class Source:
    repo: str
    path: str
    language: str
    license: str
    stars: int | None
    score: float
    matching_lines: list[int]  # 1-based lines of the snippet found verbatim in this file

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class Attribution:
    member: bool
    matched_fraction: float
    spans: list[tuple[int, int]]
    sources: list[Source] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "member": self.member,
            "matched_fraction": self.matched_fraction,
            "spans": [list(span) for span in self.spans],
            "sources": [source.to_dict() for source in self.sources],
        }


def validate_query(snippet: str | bytes) -> str:
    """The snippet as text, or an :class:`AttributionQueryError` saying what is wrong."""
    if isinstance(snippet, bytes):
        if b"\x00" in snippet:
            raise AttributionQueryError("the query is binary data (it contains NUL bytes)")
        try:
            snippet = snippet.decode("utf-8")
        except UnicodeDecodeError as error:
            raise AttributionQueryError(f"the query is not valid UTF-8: {error}") from error
    if not isinstance(snippet, str):
        raise AttributionQueryError(f"the query must be text, got {type(snippet).__name__}")
    if "\x00" in snippet:
        raise AttributionQueryError("the query is binary data (it contains NUL characters)")
    if len(snippet) > MAX_QUERY_CHARS:
        raise AttributionQueryError(
            f"the query has {len(snippet):,} characters; the limit is {MAX_QUERY_CHARS:,}"
        )
    if not normalize_whitespace(snippet):
        raise AttributionQueryError("the query is empty (nothing but whitespace)")
    return snippet


def matching_lines(snippet: str, source: SourceFile) -> list[int]:
    """1-based snippet lines that appear, whitespace-normalised, as a line of ``source``."""
    source_lines = {normalize_whitespace(line) for line in source.content.splitlines()}
    return [
        number
        for number, line in enumerate(snippet.splitlines(), start=1)
        if len(normalized := normalize_whitespace(line)) >= MIN_LINE_CHARS
        and normalized in source_lines
    ]


class Attributor:
    """An opened attribution index; cheap to query many times (the filter is memory-mapped)."""

    def __init__(self, directory: str | Path, *, verify: bool = True):
        directory = Path(directory)
        self.manifest = read_manifest(directory)
        self.bloom = open_filter(directory / MEMBERSHIP_FILE, verify=verify)
        self.search_index = TantivySearch.open(directory / SEARCH_DIR)

    def membership(self, snippet: str | bytes) -> MembershipResult:
        return check_membership(validate_query(snippet), self.bloom, self.manifest.membership)

    def attribute(self, snippet: str | bytes, *, top_k: int = 5) -> Attribution:
        """Membership always; sources from full-text search, best BM25 first."""
        text = validate_query(snippet)
        result = check_membership(text, self.bloom, self.manifest.membership)
        sources = (
            [
                Source(
                    repo=hit.source.repo,
                    path=hit.source.path,
                    language=hit.source.language,
                    license=hit.source.license,
                    stars=hit.source.stars,
                    score=round(hit.score, 3),
                    matching_lines=matching_lines(text, hit.source),
                )
                for hit in self.search_index.search(text, limit=top_k)
            ]
            if top_k > 0
            else []
        )
        return Attribution(
            member=result.member,
            matched_fraction=result.matched_fraction,
            spans=result.spans,
            sources=sources,
        )

    def files_of(self, repo_or_owner: str) -> list[SourceFile]:
        return self.search_index.files_of(repo_or_owner)
