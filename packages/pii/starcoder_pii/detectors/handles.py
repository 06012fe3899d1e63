"""Usernames where code states them: profile URLs, one-word aliases, ``@`` mentions.

StarCoder's NER labels a person's handle as USERNAME; in real files handles
sit in a few shapes that no regex of the baseline looks for:

* the user part of a profile or project URL on a code host
  (``github.com/jdoe/tool``, ``jdoe.github.io``, ``travis-ci.org/jdoe/tool``,
  ``salsa.debian.org/jdoe``), and a home directory on a web server
  (``example.org/~jdoe/``);
* a one-word alias in a name's place before an address whose local part is
  the same word (``Wookey <wookey@debian.org>``);
* an ``@jdoe`` mention where prose addresses or credits someone (``cc
  @jdoe``, ``thanks @jdoe``, ``TODO(@jdoe)``), and not a word the text also
  uses without its ``@``, as code uses ``@dataclass`` and ``dataclass``.

Organisation accounts and the code hosts' own paths (``github.com/pypa``,
``github.com/orgs``, ``github.com/sponsors``) are not people and are left out
by a short list (:data:`NOT_HANDLES`), as are role accounts (``root``,
``admin``) and owners named like an organisation (``pallets-eco``,
``facebookresearch``, all-caps ``NVIDIA``) or like their repository
(``httplib2/httplib2``).
"""

from __future__ import annotations

import re

from ..spans import USERNAME, PiiSpan, span_at

SOURCE = "handle-rules"
_HANDLE = r"[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,38}[A-Za-z0-9])?"
_CODE_HOSTS = (
    r"github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|salsa\.debian\.org|"
    r"travis-ci\.(?:org|com)|gist\.github\.com|sr\.ht/~|launchpad\.net/~|pypi\.org/user|"
    r"twitter\.com|x\.com|keybase\.io|sourceforge\.net/u"
)
_HOST_URL = re.compile(rf"\b(?:{_CODE_HOSTS})/(?P<handle>{_HANDLE})(?=[/\s)>\"'`#?.,;:]|$)")
_PAGES = re.compile(rf"(?<![\w.\-])(?P<handle>{_HANDLE})\.(?:github|gitlab)\.io\b")
_TILDE = re.compile(rf"https?://[\w.\-]+(?::\d+)?/~(?P<handle>{_HANDLE})(?=[/\s)>\"'`]|$)")
_ALIAS = re.compile(  # the alias alone in a name's place: after a year, a colon or a comma
    r"(?:^[ \t#*\-]*|[:,;(][ \t]*|\d[ \t]+)(?P<handle>[A-Za-z][\w.\-]{2,30})[ \t]*"
    r"<(?P<local>[\w.+\-]+)@[\w.\-]+>",
    re.M,
)
_REPO = re.compile(r"[/ ]?(?P<repo>[\w.\-]+)")
# Owner names that say organisation: "pallets-eco", "toml-lang", "pytest-dev".
_ORG_OWNER = re.compile(
    r"-(?:eco|lang|dev|org|project|team|labs|community|contrib|io|tools)$|research$|^[A-Z]{2,}$"
)
# GitHub-style handles: letters, digits and inner hyphens (no "_", unlike identifiers).
# ... and only where prose addresses or credits someone: "cc @x", "thanks @x", "TODO(@x)".
_MENTION = re.compile(
    r"(?:\b(?:cc|CC|[Tt]hanks?(?:[ \t]+to)?|[Tt]hank[ \t]+you|by|[Pp]ing|[Ff]rom|@author)[ \t:,]+"
    r"|TODO\(|FIXME\(|/cc[ \t]+)@(?P<handle>[A-Za-z0-9](?:[A-Za-z0-9\-]{0,38}))(?![\w@(.\-])"
)
_DOC_TAGS = {
    "param", "return", "returns", "type", "rtype", "raise", "raises", "throws", "author",
    "see", "since", "deprecated", "example", "link", "property", "staticmethod", "classmethod",
    "override", "todo", "note", "brief", "file", "version", "license", "private", "public",
    "protected", "internal", "var", "ivar", "const", "fixme", "api", "media", "import",
    "keyframes", "font", "supports", "include", "interface", "end", "implementation",
}  # fmt: skip
# Code hosts' own paths, well-known organisations, role accounts: not a person's handle.
NOT_HANDLES = frozenset({
    "orgs", "sponsors", "features", "topics", "marketplace", "settings", "login", "about",
    "pricing", "apps", "site", "collections", "explore", "issues", "pulls", "notifications",
    "search", "trending", "enterprise", "security", "contact", "join", "users", "user", "u",
    "www", "docs", "api", "help", "blog", "raw", "downloads", "repos", "organizations",
    "pypa", "python", "psf", "pallets", "django", "google", "microsoft", "facebook", "apache",
    "mozilla", "nodejs", "npm", "rust-lang", "golang", "kubernetes", "docker", "torvalds-org",
    "debian", "ubuntu", "canonical", "redhat", "freedesktop", "gnome", "kde", "openssl",
    "curl", "numpy", "scipy", "pytest-dev", "pre-commit", "actions", "github", "gitlab",
    "huggingface", "pytorch", "tensorflow", "openai", "nvidia", "intel", "ibm", "aws",
    "awslabs", "azure", "apple", "meta", "google-research", "deepmind", "jax-ml",
    "root", "admin", "administrator", "deploy", "app", "bot", "team", "ci", "build",
})  # fmt: skip


def detect_handles(text: str) -> list[PiiSpan]:
    """USERNAME spans of the handles in profile URLs, aliases and ``@`` mentions."""
    spans: dict[tuple[int, int], PiiSpan] = {}
    for match in _HOST_URL.finditer(text):
        if not _is_organisation(match.group("handle"), text, match.end("handle")):
            _add(spans, text, match, "handle")
    for pattern in (_PAGES, _TILDE):
        for match in pattern.finditer(text):
            _add(spans, text, match, "handle")
    for match in _ALIAS.finditer(text):
        if match.group("handle").lower() == match.group("local").lower():
            _add(spans, text, match, "handle")
    for match in _MENTION.finditer(text):  # the cue before it rules out decorators
        handle = match.group("handle")
        if handle.lower() not in _DOC_TAGS and not _used_as_identifier(text, handle):
            _add(spans, text, match, "handle")
    return sorted(spans.values())


def _used_as_identifier(text: str, word: str) -> bool:
    """``word`` also stands in the text without its ``@``: a decorator or name, not a handle."""
    return re.search(rf"(?<![@\w]){re.escape(word)}(?!\w)", text) is not None


def _is_organisation(owner: str, text: str, end: int) -> bool:
    """An owner that names a project: ``httplib2/httplib2``, ``yaml/libyaml``, ``pallets-eco``."""
    if _ORG_OWNER.search(owner):
        return True
    repo = _REPO.match(text, end + 1) if text[end : end + 1] == "/" else None
    if repo is None:
        return False
    words = {w for w in re.split(r"[\W_]+", owner.lower()) if len(w) >= 4}
    return any(w in repo.group("repo").lower() for w in words)


def _add(spans: dict, text: str, match: re.Match, group: str) -> None:
    start, end = match.span(group)
    if text[start:end].lower() not in NOT_HANDLES:
        spans[(start, end)] = span_at(text, start, end, USERNAME, SOURCE)
