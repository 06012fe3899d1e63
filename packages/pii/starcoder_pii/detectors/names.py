"""People's names where code states them: author lines, copyright lines, credits.

Most names in real files sit in a few fixed shapes, which a NER model trained
on injected names misses more often than not:

* git and Debian style ``Jane Roe <jane@roe.org>``, and a Debian changelog's
  `` -- jane roe <jane@roe.org>  date`` trailer (written lower-case too);
* ``__author__ = "Jane Roe"`` (an address after the name in ``<...>`` or
  ``(...)``), and every quoted name of a ``__credits__`` /
  ``__contributors__`` / ``__authors__`` list;
* ``Author:`` / ``Maintainer:`` / ``Uploaders:`` metadata lines;
* copyright lines, with or without an address: ``Copyright (C) 2003 Jane
  Roe``, ``(c) 2003-2009 Jane Roe``, ``Copyright: Ann Lee, Bo Ng`` and the
  year-led continuation lines of a Debian copyright field (``\t2005 Ann Lee``);
* changelog section headers ``[ Jane Roe ]`` and credits in prose: ``Thanks
  to Jane Roe``, ``(Thanks, Jane Roe!)``, ``written by``, ``contributed ...
  by``, ``debianized by``, ``due to``;
* the BSD licence clauses ``PROVIDED BY JANE ROE "AS IS"`` and ``Neither the
  name of Jane Roe nor``.

These rules find the name in those shapes only, so they never touch
identifiers (``User``, ``Admin``, class names): a capitalised word is a name
here only where the context says a person is named. Organisations, lists and
bots in the same places (``Python Software Foundation``, ``XCB Mailing
List``, ``Collabora Ltd.``) are left out by their words (:func:`is_person`).
"""

from __future__ import annotations

import re

from ..spans import NAME, PiiSpan, span_at

SOURCE = "name-rules"
_WORD = r"[^\W\d_][\w'’.\-]*"  # a word starting with a letter (any script)
_NAME = rf"{_WORD}(?:[ \t]+{_WORD}){{1,4}}"  # two to five words
_YEARS = r"(?:\d{4}(?:[ \t]*[-–,][ \t]*\d{2,4})*,?[ \t]+)"  # 2003, 2004-2009, 2012, 2013
_BEFORE_EMAIL = re.compile(rf"(?P<name>{_NAME})[ \t]*<[^<>\s@]+@[^<>\s]+>")
_CHANGELOG_TRAILER = re.compile(r"^ -- (?P<name>[^\W\d_][^<>\n]{2,60}?)[ \t]+<[^<>\s]+>", re.M)
_AUTHOR_VARIABLE = re.compile(
    rf"""__(?:author|maintainer|credits|copyright)__\s*=\s*[\[(]?\s*['"](?:Copyright[ \t]+)?"""
    rf"""(?:\(c\)[ \t]+)?{_YEARS}?(?P<name>{_NAME})\s*(?:[<(][^'"]*[>)])?['"]""",
    re.IGNORECASE,
)
_CREDITS_LIST = re.compile(
    r"__(?:credits|contributors|authors|maintainers)__\s*=\s*"
    r"(?:\[(?P<body>[^\]]*)\]|\((?P<tuple>(?:[^()]|\([^()]*\))*)\))"
)
_QUOTED_NAME = re.compile(rf"""['"](?P<name>{_NAME})\s*(?:[<(][^'"]*[>)])?['"]""")
_AUTHOR_FIELD = re.compile(
    rf"^[ \t#*/;-]*(?:Author|Authors|Maintainer|Maintainers|Uploaders?|Upstream-Contact|"
    rf"Written by|Contributed by|Original author)[ \t]*[:=]?[ \t]+"
    rf"(?P<name>{_NAME})[ \t]*(?:[<,(]|$)",
    re.MULTILINE | re.IGNORECASE,
)
# "Copyright (C) 2003 Jane Roe", "(c) 2011-2014 Ann Lee", "Copyright: Ann Lee, Bo Ng", and a
# copyright field's year-led continuation line; the list runs to the end of the line.
_COPYRIGHT_LINE = re.compile(
    rf"^[ \t#*/;-]*(?:(?:Copyright|__copyright__)\b[ \t:=\"']*(?:\((?:c|C)\)|©)?|\((?:c|C)\)|©)"
    rf"[ \t]*{_YEARS}?(?P<list>[^\n]+)$"
    rf"|^[ \t]+{_YEARS}(?P<tail>[^\n\d][^\n]*)$",
    re.MULTILINE,
)
_CHANGELOG_HEADER = re.compile(rf"^[ \t]+\[ (?P<name>{_NAME}) \][ \t]*$", re.MULTILINE)
_CREDIT = re.compile(
    rf"(?:[Tt]hanks(?:[ \t]+to|,)|\b(?:[Ww]ritten|[Cc]ontributed(?:[ \t]+to[ \t]+\w+)?|"
    rf"[Dd]ebianized|[Pp]atch(?:ed)?|[Rr]eported|[Ss]uggested|[Oo]riginally)[ \t]+by|"
    rf"\bdue[ \t]+to)[ \t]+(?P<name>{_NAME})"
)
_BSD_CLAUSE = re.compile(
    rf"PROVIDED[ \t]+BY[ \t]+(?P<upper>{_NAME})[ \t]+[\"“]AS[ \t]+IS|"
    rf"[Nn]either[ \t]+the[ \t]+name[ \t]+of[ \t]+(?P<name>{_NAME})[ \t]+nor\b"
)
_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "la", "le", "du", "dos", "del", "y"}
# Words that make the phrase an organisation, a list, a role or a bot, not a person.
_NOT_A_PERSON = {
    "authors", "author", "bot", "community", "contributors", "corporation", "corp", "developers",
    "development", "foundation", "group", "inc", "janitor", "list", "ltd", "llc", "mailing",
    "maintainers", "project", "security", "software", "support", "team", "the", "university",
    "debian", "ubuntu", "python", "gnu", "free", "and", "et", "al", "others", "copyright",
    "limited", "gmbh", "rights", "reserved", "ecosystem", "organization", "organisation",
    "institute", "labs", "technologies", "systems", "holders", "regents", "all", "by", "of",
    "is", "this", "for", "in", "with", "contributor", "holder", "original", "code", "see",
    "center", "centre", "devices", "architecture", "laboratories", "hat", "networks",
    "ab", "ag", "sa", "s.a", "bv", "nv", "oy", "plc", "pty", "srl", "spa", "kk", "co",
    "machines", "association", "trade", "consortium", "alliance", "society", "council",
    "committee", "agency", "academy", "school", "college", "laboratory", "company",
}  # fmt: skip


def is_person(name: str, *, upper: bool = False) -> bool:
    """Two or more capitalised words, none of them an organisation's (``upper``: all caps ok)."""
    words = name.split()
    if len(words) < 2 or any(w.lower().strip(".,") in _NOT_A_PERSON for w in words):
        return False
    # "Tomohiro KUBOTA": a capitalised surname is a name's when another word is not in caps
    mixed = any(not w.isupper() for w in words)
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if not (word[0].isupper() or not word[0].isascii()):
            return False  # lower-case words are prose
        if word.isupper() and len(word) > 3 and "." not in word and not (upper or mixed):
            return False  # long all-caps words are acronyms, except in a licence's caps
    return True


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop words before the name that are not part of it (``Copyright 2010,``, ``--``)."""
    words = list(re.finditer(r"\S+", text[start:end]))
    while len(words) > 2 and not is_person(" ".join(w.group() for w in words[:2])):
        words.pop(0)
    return start + words[0].start(), end


def _person_prefix(text: str, start: int, end: int) -> tuple[int, int]:
    """The longest run of the first words of ``text[start:end]`` that reads as a person."""
    words = list(re.finditer(r"\S+", text[start:end]))
    while len(words) > 2 and not is_person(" ".join(w.group() for w in words)):
        words.pop()
    return start, start + words[-1].end()


def _strip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in ".,;:'’\"-!":
        end -= 1
    return end


_ORG_SUFFIX = re.compile(r"\s*(?:Inc|Ltd|LLC|GmbH|Corp|Co|S\.?A|AB|AG|B\.?V|Pty|PLC)\b\.?", re.I)


def _list_items(text: str, start: int, end: int):
    """``(start, end)`` of each comma-separated item of ``text[start:end]``, an address cut off.

    An item followed by a company suffix (``Red Hat, Inc.``) is an organisation: skipped.
    """
    items = list(re.finditer(r"[^,]+", text[start:end]))
    for item, after in zip(items, [*items[1:], None], strict=False):
        if after is not None and _ORG_SUFFIX.match(after.group()):
            continue
        a, b = start + item.start(), start + item.end()
        cut = re.search(r"[<(]|\bAll rights\b|(?<=[^\W\d_]{2})\. ", text[a:b])
        b = a + cut.start() if cut else b
        a += len(text[a:b]) - len(text[a:b].lstrip())
        b = _strip_end(text, a, a + len(text[a:b].rstrip()))
        if a < b:
            yield a, b


def _candidates(text: str):
    """``(start, end, upper)`` of every phrase a rule puts in a person's place."""
    for pattern in (_BEFORE_EMAIL, _AUTHOR_VARIABLE, _AUTHOR_FIELD, _CHANGELOG_HEADER):
        for match in pattern.finditer(text):
            yield *_trimmed(text, *match.span("name")), False
    for match in _CREDIT.finditer(text):  # prose runs on after the name: "by Ann Lee in 1993"
        yield *_person_prefix(text, *match.span("name")), False
    for match in _CHANGELOG_TRAILER.finditer(text):
        yield *match.span("name"), None  # None: the trailer's name may be lower-case
    for match in _CREDITS_LIST.finditer(text):
        group = "body" if match.group("body") is not None else "tuple"
        for quoted in _QUOTED_NAME.finditer(match.group(group)):
            yield (
                match.start(group) + quoted.start("name"),
                match.start(group) + quoted.end("name"),
                False,
            )
    for match in _COPYRIGHT_LINE.finditer(text):
        group = "list" if match.group("list") is not None else "tail"
        for a, b in _list_items(text, *match.span(group)):
            yield a, b, False
    for match in _BSD_CLAUSE.finditer(text):
        group = "upper" if match.group("upper") else "name"
        yield *match.span(group), group == "upper"


def detect_contact_names(text: str) -> list[PiiSpan]:
    """NAME spans of the people that author, copyright and credit contexts name."""
    spans: dict[tuple[int, int], PiiSpan] = {}
    for start, end, upper in _candidates(text):
        end = _strip_end(text, start, end)
        value = text[start:end]
        if "\n" in value or start >= end:
            continue
        if upper is None:
            ok = is_person(value.title()) and len(value.split()) <= 4
        else:
            ok = is_person(value, upper=upper)
        if ok:
            spans[(start, end)] = span_at(text, start, end, NAME, SOURCE)
    return _without_nested(spans.values())


def _without_nested(spans) -> list[PiiSpan]:
    """Of overlapping finds keep the longer (``Copyright 2010 Ann Lee <a@b>``: two rules)."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        if not any(span.overlaps(other) for other in kept):
            kept.append(span)
    return sorted(kept)
