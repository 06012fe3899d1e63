"""The curation recipe as plain Python: its config, its stages, and one batch's path through them.

``ray_jobs/curate.py`` wires these into Ray Data; everything here runs
without Ray, so a unit test can push one repository through the same code.

Order of the row-wise stages (the first stage that drops a file is the one the
report names): read -> decode -> language (files in none of StarCoder's languages
dropped) -> SPDX headers -> opt-out ->
license -> notebooks -> quality -> decontamination. Opt-out and license come
before the costly stages so excluded repos cost nothing; decontamination runs
before dedup so that a contaminated file cannot be a cluster's survivor.
Exact and near dedup follow as dataset-wide steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .decode import Decoder
from .decontamination import DecontaminationConfig, Decontaminator
from .dedup import DedupConfig, doc_id_of, make_permutations
from .dedup.local import SIGNATURE_COLUMNS, signature_columns, signature_schema
from .github import (
    CommitLicenseFilter,
    CommitsConfig,
    IssuesConfig,
    read_commits,
    read_issues,
)
from .languages import LanguageTagger, UnknownLanguageFilter
from .licenses import LicenseConfig, PermissiveLicenseFilter, SpdxHeaderTagger
from .notebooks import NotebookConfig, NotebookConverter
from .optout import OptOutConfig, OptOutFilter
from .quality import QualityConfig, quality_filters
from .readers import (
    GivenLanguageTagger,
    ReaderConfig,
    RepoSpec,
    StackDecoder,
    StackFile,
    read_repo,
    read_stack_file,
)
from .schema import (
    ACCOUNT_COLUMNS,
    DROP_REASON,
    KEPT,
    LANGUAGE,
    PATH,
    REPO,
    SIZE,
    SOURCE,
)
from .stage import apply_stages, mark_dropped

DOC_ID = "doc_id"
DEDUP_DECISION = "dedup_decision"  # the dedup drop reason joined onto a row
STATUS = "status"  # "kept" or the drop reason, for the report's counts

SOURCE_KINDS = (
    *("local", "directory", "folder", "git", "archive", "issues", "commits"),
    *("parquet", "jsonl", "hf"),  # The Stack's published files (readers.stack)
)


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """One input: a reader kind and where it reads ("local" needs no location)."""

    kind: str
    location: str = ""

    @classmethod
    def parse(cls, text: str) -> SourceSpec:
        """``KIND[:LOCATION]`` as given on the command line; local paths made absolute."""
        kind, _, location = text.partition(":")
        if location and "://" not in location:
            location = str(Path(location).resolve())
        return cls(kind=kind, location=location)

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
    # The Stack's rows carry the licenses it detected, and it kept only permissive
    # ones (v1) or permissive and unlicensed repos (v2): trusted by default; False
    # re-checks them (SPDX headers, then the license policy) like any other source.
    trust_source_licenses: bool = True
    # StarCoder deduplicated each language on its own (and a notebook's script
    # and structured forms are two datasets, not duplicates of each other).
    dedup: DedupConfig = field(default_factory=lambda: DedupConfig(scope_column=LANGUAGE))

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
        UnknownLanguageFilter(),
        SpdxHeaderTagger(),
        OptOutFilter(config.optout),
        PermissiveLicenseFilter(config.license),
        NotebookConverter(config.notebooks),
        *quality_filters(config.quality),
        Decontaminator(patterns),
        DocIdAssigner(),
        DedupSignatures(config.dedup),
    ]


def text_stages(config: CurationConfig, patterns: Sequence[tuple[str, str]]) -> list:
    """The row-wise stages for GitHub issues and commits (already text; commits carry a license)."""
    return [
        OptOutFilter(config.optout),
        CommitLicenseFilter(config.license),
        Decontaminator(patterns),
        DocIdAssigner(),
        DedupSignatures(config.dedup),
    ]


def stack_stages(config: CurationConfig, patterns: Sequence[tuple[str, str]]) -> list:
    """The row-wise stages for rows of The Stack: the code stages, licenses trusted or re-checked.

    The given language rides along until the language stage
    (:class:`~starcoder_data.readers.GivenLanguageTagger`).
    """
    replaced = {Decoder: StackDecoder, LanguageTagger: GivenLanguageTagger}
    stages = code_stages(config, patterns)
    stages = [replaced[type(s)]() if type(s) in replaced else s for s in stages]
    if config.trust_source_licenses:
        trusted = (SpdxHeaderTagger, PermissiveLicenseFilter)
        stages = [s for s in stages if not isinstance(s, trusted)]
    return stages


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


class DedupSignatures:
    """The MinHash signature of every live row, computed while its content is in memory.

    The last row-wise stage: the dedup step then reads these ~1 KiB columns
    from Parquet instead of every file's content a second time.
    """

    def __init__(self, config: DedupConfig):
        self.config = config
        self.permutations = make_permutations(config.num_perm, config.seed)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return signature_columns(
            batch,
            pc.is_null(batch[DROP_REASON]),
            permutations=self.permutations,
            ngram=self.config.ngram,
            scope_column=self.config.scope_column,
        )


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


def curate_stack_file(
    file: StackFile, config: CurationConfig, stages: Sequence
) -> Iterator[pa.Table]:
    """Read one data file of The Stack and push each batch through ``stack_stages``."""
    for raw in read_stack_file(file, config.reader):
        yield apply_stages(raw, stages)


# Arrow batch functions of the dataset-wide steps (the job maps them over Parquet).


DEDUP_READ_COLUMNS = [DOC_ID, *SIGNATURE_COLUMNS, DROP_REASON]  # what the dedup step reads


def live_signature_rows(batch: pa.Table, num_perm: int) -> pa.Table:
    """The signature rows (:func:`~starcoder_data.dedup.local.signature_schema`) of live rows."""
    live = batch.filter(pc.is_null(batch[DROP_REASON]))
    return live.select([DOC_ID, *SIGNATURE_COLUMNS]).cast(signature_schema(num_perm))


def apply_dedup_decisions(batch: pa.Table) -> pa.Table:
    """Fold the dedup decision joined onto each row into its drop_reason."""
    reasons = batch[DEDUP_DECISION].to_pylist()
    return mark_dropped(batch.drop_columns([DEDUP_DECISION]), reasons)


DROP_ROW_BYTES = 64  # a (doc_id, drop_reason) row held in memory, with Arrow overhead


def mark_dedup_drops(batch: pa.Table, drops: pa.Table | None) -> pa.Table:
    """Fold a whole ``(doc_id, drop_reason)`` dedup drop list into one batch's drop_reason.

    The small-list alternative to joining the list onto the rows: every
    batch gets the whole list, and no rows move between workers.
    """
    if drops is None or drops.num_rows == 0:
        return batch
    where = pc.index_in(batch[DOC_ID], value_set=drops[DOC_ID].combine_chunks())
    decision = pc.take(drops[DROP_REASON], where)
    return apply_dedup_decisions(batch.append_column(DEDUP_DECISION, decision))


def kept_rows(batch: pa.Table) -> pa.Table:
    """Rows of the curated dataset: kept, without the bookkeeping columns."""
    bookkeeping = [DROP_REASON, DOC_ID, *(c for c in SIGNATURE_COLUMNS if c in batch.column_names)]
    return batch.filter(pc.is_null(batch[DROP_REASON])).drop_columns(bookkeeping)


def dropped_rows(batch: pa.Table) -> pa.Table:
    """The account of dropped files: who, where, how big, and why (no content)."""
    return batch.filter(pc.is_valid(batch[DROP_REASON])).select(ACCOUNT_COLUMNS)


def status_rows(batch: pa.Table) -> pa.Table:
    """language, status ("kept" or the drop reason) and size: what the report counts."""
    status = pc.coalesce(batch[DROP_REASON], pa.scalar(KEPT))
    return pa.table({LANGUAGE: batch[LANGUAGE], STATUS: status, SIZE: batch[SIZE]})
