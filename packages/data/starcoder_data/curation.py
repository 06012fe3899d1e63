"""The curation recipe as plain Python: its config, its stages, and one batch's path through them.

``ray_jobs/curate.py`` wires these into Ray Data; everything here runs
without Ray, so a unit test can push one repository through the same code.

Order of the row-wise stages (the first stage that drops a file is the one the
report names): read -> decode -> language -> SPDX headers -> opt-out ->
license -> notebooks -> quality -> decontamination. Opt-out and license come
before the costly stages so excluded repos cost nothing; decontamination runs
before dedup so that a contaminated file cannot be a cluster's survivor.
Exact and near dedup follow as dataset-wide steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import pyarrow as pa

from .decode import Decoder
from .decontamination import DecontaminationConfig, Decontaminator
from .dedup import DedupConfig, doc_id_of
from .github import CommitsConfig, IssuesConfig, read_commits, read_issues
from .languages import LanguageTagger
from .licenses import LicenseConfig, PermissiveLicenseFilter, SpdxHeaderTagger
from .notebooks import NotebookConfig, NotebookConverter
from .optout import OptOutConfig, OptOutFilter
from .quality import QualityConfig, quality_filters
from .readers import ReaderConfig, RepoSpec, read_repo
from .schema import LANGUAGE, PATH, REPO, SOURCE
from .stage import apply_stages

DOC_ID = "doc_id"

SOURCE_KINDS = ("local", "directory", "git", "archive", "issues", "commits")


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """One input: a reader kind and where it reads ("local" needs no location)."""

    kind: str
    location: str = ""

    def __post_init__(self):
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; expected one of {SOURCE_KINDS}")
        if self.kind != "local" and not self.location:
            raise ValueError(f"source kind {self.kind!r} needs a location")


@dataclass(frozen=True, kw_only=True)
class CurationConfig:
    """Everything one curation run depends on; its hash names the run."""

    sources: tuple[SourceSpec, ...] = (SourceSpec(kind="local"),)
    max_repos: int | None = None  # cap per source, for quick looks at a big corpus
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    license: LicenseConfig = field(default_factory=LicenseConfig)
    notebooks: NotebookConfig = field(default_factory=NotebookConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    issues: IssuesConfig = field(default_factory=IssuesConfig)
    commits: CommitsConfig = field(default_factory=CommitsConfig)
    decontamination: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    optout: OptOutConfig = field(default_factory=OptOutConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def as_dict(self) -> dict:
        return _jsonable(asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    return value


def code_stages(config: CurationConfig, patterns: Sequence[tuple[str, str]]) -> list:
    """The row-wise stages for files read from repositories, in order."""
    return [
        Decoder(),
        LanguageTagger(),
        SpdxHeaderTagger(),
        OptOutFilter(config.optout),
        PermissiveLicenseFilter(config.license),
        NotebookConverter(config.notebooks),
        *quality_filters(config.quality),
        Decontaminator(patterns),
        DocIdAssigner(),
    ]


def text_stages(config: CurationConfig, patterns: Sequence[tuple[str, str]]) -> list:
    """The row-wise stages for GitHub issues and commits (already text, no license)."""
    return [
        OptOutFilter(config.optout),
        Decontaminator(patterns),
        DocIdAssigner(),
    ]


class DocIdAssigner:
    """Numbers every row with a stable 64-bit id for the dedup steps.

    The language is part of the key because a notebook yields two records
    (script and structured) under one path.
    """

    def __call__(self, batch: pa.Table) -> pa.Table:
        ids = [
            doc_id_of(source, repo, f"{path}\x00{language}")
            for source, repo, path, language in zip(
                batch[SOURCE].to_pylist(),
                batch[REPO].to_pylist(),
                batch[PATH].to_pylist(),
                batch[LANGUAGE].to_pylist(),
                strict=True,
            )
        ]
        return batch.append_column(DOC_ID, pa.array(ids, pa.int64()))


def curate_repo(spec: RepoSpec, config: CurationConfig, stages: Sequence) -> Iterator[pa.Table]:
    """Read one repository and push each batch through the row-wise stages."""
    for raw in read_repo(spec, config.reader):
        yield apply_stages(raw, stages)


def curate_text_source(
    source: SourceSpec, config: CurationConfig, stages: Sequence
) -> Iterator[pa.Table]:
    """Read a JSON-lines file of GitHub issues or commits into curated batches."""
    if source.kind == "issues":
        batches = read_issues(source.location, config.issues)
    else:
        batches = read_commits(source.location, config.commits)
    for batch in batches:
        yield apply_stages(batch, stages)
