"""GitHub issues and commits as training text, the way StarCoder built them.

StarCoder (Li et al. 2023, sections 3.4, 3.5 and 5.1; bigcode-dataset
``preprocessing/filtering_issues.py``, ``utils/utils_issues.py`` and
``filtering_git_commits.ipynb``) trained on issue conversations and on
single-file commits, each formatted with sentinel tokens. Both readers here take
JSON lines in the GitHub REST API's shape and yield ``FILE_SCHEMA`` batches,
one row per issue and one row per changed file of a commit. Every record
becomes a row: the ones a rule removes carry ``"issues:<reason>"`` or
``"commits:<reason>"`` with a null content, so the report can count them.

Issues, one JSON object per line (the REST issue object plus its comments)::

    {"number": 12, "title": "...", "state": "open" | "closed", "body": "..." | null,
     "user": {"login": "alice", "type": "User" | "Bot"},
     "repository_url": "https://api.github.com/repos/OWNER/NAME",  # or
     "html_url": "https://github.com/OWNER/NAME/issues/12",
     "comments_data": [{"user": {"login": "...", "type": "..."}, "body": "..."}, ...]}

``"comments"`` may hold that list instead (in the REST API it is a count, which
is then ignored). An object with ``"pull_request"`` is a pull request's
conversation; StarCoder kept those too. The formatted text is::

    <issue_start>Title: {title}\\nusername_0: {body}<issue_comment>username_1: {comment}
    ...<issue_closed>

with ``<issue_closed>`` only when ``state == "closed"`` (the API gives no close
position, so it ends the text).

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
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from .schema import file_table

ISSUES_LANGUAGE = "github-issues"
COMMITS_LANGUAGE = "git-commits"


# --- issues -----------------------------------------------------------------

# bigcode-dataset utils_issues.py: comments by these authors are removed ...
BOT_AUTHORS = frozenset(
    {
        "Apache-HBase", "AutorestCI", "CLAassistant", "cmsbuild", "codecov-io",
        "codecov-commenter", "coveralls", "danger-public", "dnfclas", "msftclas",
        "PyDocTeur", "SparkQA", "karma-pr-reporter", "claassistantio", "probot-stale",
    }
)  # fmt: skip
# ... and so are those of authors whose lower-cased login contains one of these ...
BOT_KEYWORDS = ("[bot]", "botmanager", "bors-", "jenkins", "k8s-", "-test-", "travis")
# ... or ends with one of these.
BOT_SUFFIXES = (
    "-automaton", "-automation", "-benchmark", "-build", "-deployer", "-cloud", "bot",
    "-ci", "-linter", "-teamcity", "-test", "-testing", "-service-account",
)  # fmt: skip

# bigcode-dataset utils_issues.py: text GitHub adds to replies sent by email.
_EMAIL_REPLIES = [
    re.compile(p, re.DOTALL)
    for p in (
        r"(.*)From:.+Reply to this email directly.+view it on GitHub(.*)\n?(.*)",
        r"(.*)On.+notifications@github.com.+wrote:.+Reply to this email directly.+view it on GitHub(.*)\n?(.*)",  # noqa: E501
        r"(.*)Signed-off-by: .+<.+>(.*?)\n?(.*)",
    )
]
_EMAIL_DATE = re.compile(r"\d+/\d+/\d+ \d{2}:\d{2} [AP]M.+wrote")
_EMAIL_LINEBREAK = re.compile(r"_{20,}")
_TRUNCATION_MARK = "[Truncated]"  # bigcode-dataset truncate_long_comments


@dataclass(frozen=True, kw_only=True)
class IssuesConfig:
    batch_rows: int = 1000  # rows per yielded batch
    min_chars: int = 200  # StarCoder: drop issues with under 200 characters of text
    # StarCoder: a conversation with a single user is kept only if its text is at
    # most 7000 characters (96th percentile) and it has at most 10 events.
    max_single_user_chars: int = 7000
    max_single_user_events: int = 10
    max_comment_lines: int = 80  # bigcode-dataset: MAX_LINES = 80 ...
    kept_tail_lines: int = 20  # ... cut to the first 60 and the last 20 lines
    strip_email_replies: bool = True  # StarCoder: remove auto-generated email text


@dataclass(frozen=True)
class _Event:
    login: str
    is_bot: bool
    text: str


class _Malformed(ValueError):
    """A record lacks what the format needs."""


def read_issues(path: str, config: IssuesConfig) -> Iterator[pa.Table]:
    """``FILE_SCHEMA`` batches of formatted issues from a JSON-lines file."""
    rows = (_issue_row(line, number, path, config) for number, line in _json_lines(path))
    yield from _batches(rows, config.batch_rows)


def _issue_row(line: bytes, number: int, path: str, config: IssuesConfig) -> dict:
    base = {"source": f"issues:{path}", "size": len(line), "language": ISSUES_LANGUAGE}
    try:
        record = _load_object(line)
        repo = _repo_from(record, ("repository_url", "html_url", "url"))
        issue_number = _require(record, "number", int)
        base |= {"repo": repo, "path": f"issues/{issue_number}"}
        title = _require(record, "title", str)
        events = _issue_events(record)
    except _Malformed:
        return {
            "repo": "",
            "path": f"issues/line-{number}",
            **base,
            "drop_reason": "issues:malformed",
        }
    text, reason = _format_issue(title, events, record.get("state") == "closed", config)
    return _with_content(base, text, reason and f"issues:{reason}")


def _issue_events(record: dict) -> list[_Event]:
    comments = record.get("comments_data", record.get("comments"))
    if not isinstance(comments, list):
        comments = []
    events = [_event(record)]
    for comment in comments:
        if not isinstance(comment, dict):
            raise _Malformed("comment is not an object")
        events.append(_event(comment))
    return events


def _event(record: dict) -> _Event:
    user = _require(record, "user", dict)
    login = _require(user, "login", str)
    body = record.get("body")
    if body is not None and not isinstance(body, str):
        raise _Malformed("body is not a string")
    return _Event(login=login, is_bot=is_bot(login, user.get("type")), text=body or "")


def is_bot(login: str, user_type: str | None = None) -> bool:
    """StarCoder's bot rule on a login, plus the API's own ``type == "Bot"``."""
    lowered = login.lower()
    return (
        user_type == "Bot"
        or login in BOT_AUTHORS
        or any(keyword in lowered for keyword in BOT_KEYWORDS)
        or lowered.endswith(BOT_SUFFIXES)
    )


def _format_issue(
    title: str, events: list[_Event], closed: bool, config: IssuesConfig
) -> tuple[str | None, str | None]:
    """``(text, None)`` for a kept issue, ``(None, reason)`` for a dropped one.

    The steps run in bigcode-dataset's order: strip email text, truncate long
    comments, remove bots, filter on size and users, anonymise.
    """
    if events[0].is_bot:
        return None, "bot"
    events = [
        _Event(e.login, e.is_bot, _clean_text(e.text, config)) for e in events if not e.is_bot
    ]
    reason = _size_and_users_reason(events, config)
    if reason is not None:
        return None, reason
    anonymise = _anonymiser([e.login for e in events])
    parts = [f"<issue_start>Title: {anonymise.text(title)}\n"]
    for i, event in enumerate(events):
        prefix = "" if i == 0 else "<issue_comment>"
        parts.append(f"{prefix}{anonymise.name(event.login)}: {anonymise.text(event.text)}")
    if closed:
        parts.append("<issue_closed>")
    return "".join(parts), None


def _clean_text(text: str, config: IssuesConfig) -> str:
    if config.strip_email_replies:
        text = strip_email_reply(text)
    return truncate_lines(text, config.max_comment_lines, config.kept_tail_lines)


def strip_email_reply(text: str) -> str:
    """Remove what GitHub adds to a comment sent as an email reply.

    bigcode-dataset's version also cut everything up to a quoted (``>``) line
    in any comment; here the line-by-line pass runs only on comments that show
    an email marker, so a markdown quote in an ordinary comment survives.
    """
    text = text.strip()
    for pattern in _EMAIL_REPLIES:
        match = pattern.match(text)
        if match:
            return _EMAIL_LINEBREAK.sub("", match.group(1) + match.group(3)).strip()
    lines = text.split("\n")
    start, end, is_email = 0, -1, False
    for i, line in enumerate(lines):
        line = line.strip()
        if "notifications@github.com" in line or _EMAIL_DATE.search(line):
            start, is_email = i, True
        if "Reply to this email directly" in line:
            end, is_email = (i + 1 if line.endswith(":") else i), True
        if line.startswith(">"):
            end = i
    if is_email:
        text = "\n".join(lines[:start] + lines[end + 1 :])
    return _EMAIL_LINEBREAK.sub("", text).strip()


def truncate_lines(text: str, max_lines: int, tail_lines: int) -> str:
    """Keep the first ``max_lines - tail_lines`` and last ``tail_lines`` lines of a long text."""
    lines = text.split("\n")
    if len(lines) <= max_lines:
        return text
    head = "\n".join(lines[: max_lines - tail_lines])
    return f"{head}\n{_TRUNCATION_MARK}\n" + "\n".join(lines[-tail_lines:])


def _size_and_users_reason(events: list[_Event], config: IssuesConfig) -> str | None:
    size = sum(len(e.text) for e in events)
    if size < config.min_chars:
        return "too_short"
    if len({e.login.lower() for e in events}) >= 2:
        return None
    if size > config.max_single_user_chars:
        return "single_user_too_long"
    if len(events) > config.max_single_user_events:
        return "single_user_too_many_events"
    return None


@dataclass(frozen=True)
class _Anonymiser:
    names: dict[str, str]  # lower-cased login -> username_i
    pattern: re.Pattern | None

    def name(self, login: str) -> str:
        return self.names[login.lower()]

    def text(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.names[m.group(0).lower()], text)


def _anonymiser(logins: list[str]) -> _Anonymiser:
    """Participants become username_0, username_1, ... in order of first appearance.

    Their logins (GitHub logins are case-insensitive) are replaced wherever they
    stand as a whole word in the text, @mentions included.
    """
    names: dict[str, str] = {}
    for login in logins:
        names.setdefault(login.lower(), f"username_{len(names)}")
    alternatives = "|".join(re.escape(login) for login in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
    return _Anonymiser(names=names, pattern=pattern if names else None)


# --- commits ----------------------------------------------------------------

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
        row
        for number, line in _json_lines(path)
        for row in _commit_rows(line, number, path, config)
    )
    yield from _batches(rows, config.batch_rows)


def _commit_rows(line: bytes, number: int, path: str, config: CommitsConfig) -> list[dict]:
    base = {"source": f"commits:{path}", "size": len(line), "language": COMMITS_LANGUAGE}
    try:
        record = _load_object(line)
        repo = _repo_from(record, ("html_url", "url", "repository_url"))
        sha = _require(record, "sha", str)
        message = _require(_require(record, "commit", dict), "message", str)
        files = _require(record, "files", list)
        if not all(isinstance(f, dict) and isinstance(f.get("filename"), str) for f in files):
            raise _Malformed("a file has no filename")
    except _Malformed:
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
        text, reason = ("", "multi_file") if multi else format_commit(sha, message, file, config)
        rows.append(_with_content(row, text, reason and f"commits:{reason}"))
    return rows


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


# --- shared -----------------------------------------------------------------


def _json_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` for every non-blank line, without its newline."""
    with open(path, "rb") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def _load_object(line: bytes) -> dict:
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        raise _Malformed(str(error)) from error
    if not isinstance(record, dict):
        raise _Malformed("not a JSON object")
    return record


def _require(record: dict, key: str, kind: type):
    value = record.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Malformed(f"{key!r} missing or not {kind.__name__}")
    return value


_REPO_URL = re.compile(r"github\.com/(?:repos/)?([\w.-]+)/([\w.-]+)")


def _repo_from(record: dict, keys: tuple[str, ...]) -> str:
    """``owner/name`` from the first GitHub URL among ``keys``."""
    for key in keys:
        url = record.get(key)
        match = _REPO_URL.search(url) if isinstance(url, str) else None
        if match:
            return f"{match.group(1)}/{match.group(2)}"
    raise _Malformed("no repository URL")


def _with_content(row: dict, text: str | None, reason: str | None) -> dict:
    if reason is not None:
        return {**row, "drop_reason": reason}
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {**row, "content": text, "content_hash": content_hash}


def _batches(rows: Iterable[dict], batch_rows: int) -> Iterator[pa.Table]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_rows:
            yield file_table(batch)
            batch = []
    if batch:
        yield file_table(batch)
