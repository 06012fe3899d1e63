"""People's names where code states them: ``Name <email>``, ``__author__``, author fields.

Most names in real files sit in a few fixed shapes (git and Debian style
``Jane Roe <jane@roe.org>``, ``__author__ = "Jane Roe"``, ``Author:`` /
``Maintainer:`` metadata lines), which a NER model trained on injected
names misses more often than not. These rules find the name in those
shapes only, so they never touch identifiers (``User``, ``Admin``, class
names): a capitalised word is a name here only where the context says a
person is named. Organisations, lists and bots in the same places
(``Python Software Foundation``, ``XCB Mailing List``) are left out by
their words.
"""

from __future__ import annotations

import re

from ..spans import NAME, PiiSpan, span_at

SOURCE = "name-rules"
_WORD = r"[^\W\d_][\w'’.\-]*"  # a word starting with a letter (any script)
_NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{1,4}}"  # two to five words
_BEFORE_EMAIL = re.compile(rf"(?P<name>{_NAME})[ \t]*<[^<>\s@]+@[^<>\s]+>")
_AUTHOR_VARIABLE = re.compile(
    rf"""__(?:author|maintainer|credits)__\s*=\s*[\[(]?\s*['"](?P<name>{_NAME})\s*(?:<[^'"]*>)?['"]"""
)
_AUTHOR_FIELD = re.compile(
    rf"^[ \t#*/;-]*(?:Author|Authors|Maintainer|Maintainers|Uploaders?|Upstream-Contact|"
    rf"Written by|Contributed by|Original author)[ \t]*[:=]?[ \t]+"
    rf"(?P<name>{_NAME})[ \t]*(?:[<,(]|$)",
    re.MULTILINE | re.IGNORECASE,
)
_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "la", "le", "du", "dos", "del", "y"}
# Words that make the phrase an organisation, a list, a role or a bot, not a person.
_NOT_A_PERSON = {
    "authors", "author", "bot", "community", "contributors", "corporation", "corp", "developers",
    "development", "foundation", "group", "inc", "janitor", "list", "ltd", "llc", "mailing",
    "maintainers", "project", "security", "software", "support", "team", "the", "university",
    "debian", "ubuntu", "python", "gnu", "free", "and", "et", "al", "others", "copyright",
}  # fmt: skip


def _is_person(name: str) -> bool:
    words = name.split()
    if len(words) < 2 or any(w.lower().strip(".") in _NOT_A_PERSON for w in words):
        return False
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if not (word[0].isupper() or not word[0].isascii()) or word.isupper() and len(word) > 3:
            return False  # lower-case words are prose; long all-caps words are acronyms
    return True


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop words before the name that are not part of it (``Copyright 2010,``, ``--``)."""
    words = list(re.finditer(r"\S+", text[start:end]))
    while len(words) > 2 and not _is_person(" ".join(w.group() for w in words[:2])):
        words.pop(0)
    return start + words[0].start(), end


def detect_contact_names(text: str) -> list[PiiSpan]:
    """NAME spans of the people named in ``Name <email>``, ``__author__`` and author fields."""
    spans: dict[tuple[int, int], PiiSpan] = {}
    for pattern in (_BEFORE_EMAIL, _AUTHOR_VARIABLE, _AUTHOR_FIELD):
        for match in pattern.finditer(text):
            start, end = _trimmed(text, *match.span("name"))
            while end > start and text[end - 1] in ".,;:'’-":
                end -= 1
            if _is_person(text[start:end]):
                spans[(start, end)] = span_at(text, start, end, NAME, SOURCE)
    return sorted(spans.values())
