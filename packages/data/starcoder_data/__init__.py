"""Code-data curation for StarCoder-style training data (Li et al. 2023, section 3).

Readers turn repositories, archives, git, the machine's own source trees and
GitHub issues/commits into Arrow batches of one schema; stages (pure
``pyarrow.Table -> pyarrow.Table`` callables) decode, tag, filter and convert
them; dedup finds exact and near duplicates. ``ray_jobs/curate.py`` runs it
all on Ray Data. Modules that need Ray (``dedup.ray_dedup``) are imported on
demand.
"""

from .curation import CurationConfig, SourceSpec, code_stages, curate_repo, text_stages
from .decode import Decoder
from .decontamination import DecontaminationConfig, Decontaminator, decontamination_patterns
from .dedup import DedupConfig, doc_id_of
from .github import CommitsConfig, IssuesConfig, read_commits, read_issues
from .languages import STARCODER_LANGUAGES, LanguageTagger, UnknownLanguageFilter, language_of
from .licenses import (
    LicenseConfig,
    LicenseMatch,
    PermissiveLicenseFilter,
    SpdxHeaderTagger,
    detect_repo_license,
)
from .notebooks import NotebookConfig, NotebookConverter
from .optout import OptOutConfig, OptOutFilter, load_optout_list
from .quality import QualityConfig, quality_filters
from .readers import ReaderConfig, RepoSpec, discover_repos, read_repo
from .report import build_report, format_report
from .schema import FILE_SCHEMA, RAW_FILE_SCHEMA
from .special_tokens import SPECIAL_TOKENS
from .stage import Filter, apply_stages, mark_dropped
from .tokens import PackConfig, TokenShards, TokenShardsError

__all__ = [
    "PackConfig",
    "SPECIAL_TOKENS",
    "TokenShards",
    "TokenShardsError",
    "FILE_SCHEMA",
    "RAW_FILE_SCHEMA",
    "STARCODER_LANGUAGES",
    "CommitsConfig",
    "CurationConfig",
    "Decoder",
    "DecontaminationConfig",
    "Decontaminator",
    "DedupConfig",
    "Filter",
    "IssuesConfig",
    "LanguageTagger",
    "LicenseConfig",
    "LicenseMatch",
    "NotebookConfig",
    "NotebookConverter",
    "OptOutConfig",
    "OptOutFilter",
    "PermissiveLicenseFilter",
    "QualityConfig",
    "ReaderConfig",
    "RepoSpec",
    "SourceSpec",
    "SpdxHeaderTagger",
    "UnknownLanguageFilter",
    "apply_stages",
    "build_report",
    "code_stages",
    "curate_repo",
    "decontamination_patterns",
    "detect_repo_license",
    "discover_repos",
    "doc_id_of",
    "format_report",
    "language_of",
    "load_optout_list",
    "mark_dropped",
    "quality_filters",
    "read_commits",
    "read_issues",
    "read_repo",
    "text_stages",
]
