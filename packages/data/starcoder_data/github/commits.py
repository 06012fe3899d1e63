"""Git commits as training text, the way StarCoder built them.

Commits, one JSON object per line (the REST commit object)::

    {"sha": "...", "commit": {"message": "..."},
     "html_url": "https://github.com/OWNER/NAME/commit/SHA",  # or "url" (api.github.com)
     "files": [{"filename": "a.py", "status": "modified", "patch": "@@ -1,3 +1,3 @@...",
                "old_contents": "...", "new_contents": "..."}]}  # contents optional

Each changed file gives ``<commit_before>{old}<commit_msg>{message}<commit_after>{new}``.
With CommitPack-style ``old_contents``/``new_contents`` the before/after is the
whole file or a window around the change (StarCoder: whole file 20% of the
time, else 0-32 lines of context); with only a ``patch``, it is the hunks'
lines (context and removed lines before, context and added lines after).
Random choices hash the commit sha, file name and a seed, so a run is
reproducible and independent of batch order and worker count.

bigcode-dataset ``filtering_git_commits.ipynb`` decides which commits are
kept; a removed file change carries ``"commits:<reason>"``. As in the paper
(section 3.4), only files with an extension of The Stack's list (the
languages of ``languages.json``) are kept (``"commits:extension_not_listed"``),
and only from permissively licensed repositories: a record may carry its
repository's license as ``"license"`` (an SPDX expression, as CommitPack
does) or as the REST ``"repository": {"license": {"spdx_id": ...}}``; the
row's ``license`` column holds it, and :class:`CommitLicenseFilter` drops
the change as ``"license:no_license"`` / ``"license:not_permissive"``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from ..languages import UNKNOWN, language_of
from ..licenses import PermissiveLicenseFilter
from ..schema import LANGUAGE, LICENSE
from .records import Malformed, batches, json_lines, load_object, repo_from, require, with_content

COMMITS_LANGUAGE = "git-commits"

# bigcode-dataset filtering_git_commits.ipynb: subjects holding these are automatic ...
BAD_SUBJECT_PARTS = ("auto commit", "update contributing", "<?xml")
# ... and so are subjects equal to these.
BAD_SUBJECTS = frozenset(
    {
        "readme", "update", "dummy", "updated", "debug", "test", "update readme",
        "update readme.md", "updated readme.md", "updated readme",
    }
)  # fmt: skip
_VERSION_SUBJECT = re.compile(r"(?:v)?\d+\.\d+\.\d+(?=$|\S)")  # bigcode-dataset, as written
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True, kw_only=True)
class CommitsConfig:
    batch_rows: int = 1000  # rows per yielded batch
    seed: int = 0  # of every sampling decision
    single_file_only: bool = True  # StarCoder: single-file commits only
    keep_fraction: float = 1.0  # StarCoder: 0.5 of all files, to cut volume
    max_file_chars: int = 100_000  # StarCoder: drop files over 100k characters
    small_change_lines: int = 2  # StarCoder: changes spanning <= 2 lines ...
    small_change_keep: float = 0.5  # ... kept with 50% probability
    large_change_lines: int = 200  # StarCoder: changes spanning >= 200 lines ...
    large_change_keep: float = 0.1  # ... kept with 10% probability
    listed_extensions_only: bool = True  # StarCoder: The Stack's extension list (paper 3.4)
    data_extensions: frozenset[str] = frozenset({"json", "yml", "yaml", "xml", "html"})
    data_file_keep: float = 0.5  # StarCoder: data formats kept with 50% probability
    short_subject_words: int = 5  # bigcode-dataset: subjects under 5 words ...
    short_subject_keep: float = 0.5  # ... kept with 50% probability
    max_chars_per_word: float = 20  # StarCoder: hash-like subjects, > 20 characters a word
    full_file_keep: float = 0.2  # StarCoder: the whole file 20% of the time ...
    max_window_lines: int = 32  # ... else 0-32 lines around the change


@dataclass(frozen=True)
class _Change:
    before: str
    after: str
    span: int  # lines from the first to the last changed line, on the longer side


def read_commits(path: str, config: CommitsConfig) -> Iterator[pa.Table]:
    """``FILE_SCHEMA`` batches, one row per changed file, from a JSON-lines file."""
    rows = (
        row for number, line in json_lines(path) for row in _commit_rows(line, number, path, config)
    )
    yield from batches(rows, config.batch_rows)


def _commit_rows(line: bytes, number: int, path: str, config: CommitsConfig) -> list[dict]:
    base = {"source": f"commits:{path}", "size": len(line), "language": COMMITS_LANGUAGE}
    try:
        record = load_object(line)
        base["license"] = _license_of(record)
        repo = repo_from(record, ("html_url", "url", "repository_url"))
        sha = require(record, "sha", str)
        message = require(require(record, "commit", dict), "message", str)
        files = require(record, "files", list)
        if not all(isinstance(f, dict) and isinstance(f.get("filename"), str) for f in files):
            raise Malformed("a file has no filename")
    except Malformed:
        return [
            {
                "repo": "",
                "path": f"commits/line-{number}",
                **base,
                "drop_reason": "commits:malformed",
            }
        ]
    if not files:
        return [{"repo": repo, "path": f"commits/{sha}", **base, "drop_reason": "commits:no_files"}]
    rows = []
    for file in files:
        size = len(line) if len(files) == 1 else len(json.dumps(file).encode())
        row = {**base, "repo": repo, "path": f"commits/{sha}/{file['filename']}", "size": size}
        multi = len(files) > 1 and config.single_file_only
        if config.listed_extensions_only and language_of(file["filename"]) == UNKNOWN:
            text, reason = "", "extension_not_listed"
        elif multi:
            text, reason = "", "multi_file"
        else:
            text, reason = format_commit(sha, message, file, config)
        rows.append(with_content(row, text, reason and f"commits:{reason}"))
    return rows


def _license_of(record: dict) -> str | None:
    """The repository's license the record names, or None."""
    license_ = record.get("license")
    if isinstance(license_, str) and license_.strip():
        return license_.strip()
    repository = record.get("repository")
    details = repository.get("license") if isinstance(repository, dict) else None
    spdx = details.get("spdx_id") if isinstance(details, dict) else None
    return spdx.strip() if isinstance(spdx, str) and spdx.strip() else None


class CommitLicenseFilter(PermissiveLicenseFilter):
    """The code license rule on commit rows (issues carry no license and pass).

    The Stack, and so StarCoder's commits, kept only permissively licensed
    repositories; ``LicenseConfig.policy == "any"`` keeps every commit.
    """

    def reasons(self, batch: pa.Table) -> list[str | None]:
        rows = zip(batch[LANGUAGE].to_pylist(), batch[LICENSE].to_pylist(), strict=True)
        return [self._reason(spdx) if kind == COMMITS_LANGUAGE else None for kind, spdx in rows]


def format_commit(
    sha: str, message: str, file: dict, config: CommitsConfig
) -> tuple[str | None, str | None]:
    """``(text, None)`` for a kept file change, ``(None, reason)`` for a dropped one."""
    subject = message.strip().split("\n", 1)[0].strip()
    reason = _message_reason(subject, config)
    if reason is not None:
        return None, reason
    change = _change(sha, file, config)
    if change is None:
        return None, "no_diff"
    if max(len(change.before), len(change.after)) > config.max_file_chars:
        return None, "too_large"
    if not change.after:
        return None, "empty_after"
    reason = _sampling_reason(sha, file["filename"], subject, change, config)
    if reason is not None:
        return None, reason
    return (
        f"<commit_before>{change.before}<commit_msg>{message.strip()}<commit_after>{change.after}",
        None,
    )


def _message_reason(subject: str, config: CommitsConfig) -> str | None:
    lowered = subject.lower()
    words = subject.split()
    if not words:
        return "empty_message"
    if lowered in BAD_SUBJECTS or any(part in lowered for part in BAD_SUBJECT_PARTS):
        return "automatic_message"
    if _VERSION_SUBJECT.match(lowered):
        return "version_message"
    if len(subject) / len(words) > config.max_chars_per_word:
        return "hash_message"
    return None


def _sampling_reason(
    sha: str, filename: str, subject: str, change: _Change, config: CommitsConfig
) -> str | None:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    rules = (
        ("sampled_out", True, config.keep_fraction),
        ("small_change", change.span <= config.small_change_lines, config.small_change_keep),
        ("large_change", change.span >= config.large_change_lines, config.large_change_keep),
        ("data_file", extension in config.data_extensions, config.data_file_keep),
        (
            "short_message",
            len(subject.split()) < config.short_subject_words,
            config.short_subject_keep,
        ),
    )
    for reason, applies, keep in rules:
        if applies and not sample_keep(config.seed, sha, filename, reason, keep):
            return reason
    return None


def sample_keep(seed: int, sha: str, filename: str, rule: str, keep: float) -> bool:
    """A reproducible coin: True with probability ``keep``, from a hash, not global state."""
    return _unit_hash(seed, sha, filename, rule) < keep


def _unit_hash(*parts: object) -> float:
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _change(sha: str, file: dict, config: CommitsConfig) -> _Change | None:
    old, new = file.get("old_contents"), file.get("new_contents")
    if isinstance(old, str) and isinstance(new, str):
        return _change_from_contents(sha, file["filename"], old, new, config)
    patch = file.get("patch")
    if isinstance(patch, str) and patch:
        return change_from_patch(patch)
    return None


def change_from_patch(patch: str) -> _Change | None:
    """Before/after text of a unified-diff patch's hunks; None if it has no hunk."""
    before: list[str] = []
    after: list[str] = []
    old_changed: list[int] = []
    new_changed: list[int] = []
    old_no = new_no = None
    for line in patch.removesuffix("\n").split("\n"):
        header = _HUNK_HEADER.match(line)
        if header:
            old_no, new_no = int(header.group(1)), int(header.group(2))
        elif old_no is None or line.startswith("\\"):
            continue
        elif line.startswith("-"):
            before.append(line[1:])
            old_changed.append(old_no)
            old_no += 1
        elif line.startswith("+"):
            after.append(line[1:])
            new_changed.append(new_no)
            new_no += 1
        else:
            before.append(line[1:])
            after.append(line[1:])
            old_no, new_no = old_no + 1, new_no + 1
    if old_no is None:
        return None
    span = max(_span(old_changed), _span(new_changed))
    return _Change(before=_join(before), after=_join(after), span=span)


def _change_from_contents(
    sha: str, filename: str, old: str, new: str, config: CommitsConfig
) -> _Change:
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not edits:
        return _Change(before=old, after=new, span=0)
    old_start, old_end = edits[0][1], edits[-1][2]
    new_start, new_end = edits[0][3], edits[-1][4]
    span = max(old_end - old_start, new_end - new_start)
    if sample_keep(config.seed, sha, filename, "full_file", config.full_file_keep):
        return _Change(before=old, after=new, span=span)
    context = int(_unit_hash(config.seed, sha, filename, "window") * (config.max_window_lines + 1))
    before = "".join(old_lines[max(0, old_start - context) : old_end + context])
    after = "".join(new_lines[max(0, new_start - context) : new_end + context])
    return _Change(before=before, after=after, span=span)


def _span(line_numbers: list[int]) -> int:
    return max(line_numbers) - min(line_numbers) + 1 if line_numbers else 0


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""
