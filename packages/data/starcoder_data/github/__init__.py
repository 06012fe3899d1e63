"""GitHub issues and commits as training text, the way StarCoder built them.

StarCoder (Li et al. 2023, sections 3.4, 3.5 and 5.1; bigcode-dataset
``preprocessing/filtering_issues.py``, ``utils/utils_issues.py`` and
``filtering_git_commits.ipynb``) trained on issue conversations and on
single-file commits, each formatted with sentinel tokens. Both readers here take
JSON lines in the GitHub REST API's shape and yield ``FILE_SCHEMA`` batches,
one row per issue (:mod:`.issues`) and one row per changed file of a commit
(:mod:`.commits`). Every record becomes a row: the ones a rule removes carry
``"issues:<reason>"`` or ``"commits:<reason>"`` with a null content, so the
report can count them.
"""

from .commits import (
    BAD_SUBJECT_PARTS,
    BAD_SUBJECTS,
    COMMITS_LANGUAGE,
    CommitLicenseFilter,
    CommitsConfig,
    change_from_patch,
    format_commit,
    read_commits,
    sample_keep,
)
from .issues import (
    BOT_AUTHORS,
    BOT_KEYWORDS,
    BOT_SUFFIXES,
    ISSUES_LANGUAGE,
    IssuesConfig,
    is_bot,
    read_issues,
    strip_email_reply,
    truncate_lines,
)
from .language_id import detect_language

__all__ = [
    "BAD_SUBJECTS",
    "BAD_SUBJECT_PARTS",
    "BOT_AUTHORS",
    "BOT_KEYWORDS",
    "BOT_SUFFIXES",
    "COMMITS_LANGUAGE",
    "ISSUES_LANGUAGE",
    "CommitLicenseFilter",
    "CommitsConfig",
    "IssuesConfig",
    "change_from_patch",
    "detect_language",
    "format_commit",
    "is_bot",
    "read_commits",
    "read_issues",
    "sample_keep",
    "strip_email_reply",
    "truncate_lines",
]
