"""The Stack's published column layouts (v1 and v2) and how they map onto ``RAW_FILE_SCHEMA``.

The Stack v1 (``bigcode/the-stack``, ``-dedup``, ``-smol``; Kocetkov et al.
2022) stores one file per row with the repository it was found in three
times: the repo with the most stars, forks and issues (``max_stars_repo_*``,
``max_forks_repo_*``, ``max_issues_repo_*``). The Stack v2
(``bigcode/the-stack-v2*``; Lozhkov et al. 2024) stores Software Heritage ids;
its rows carry ``content`` only once fetched (the dataset card's download
example adds it; some derived sets call it ``text``).

Mapping (row of The Stack -> our raw file row):

======================  ==============================  ===============================
ours                    v1                              v2
======================  ==============================  ===============================
``repo``                ``max_stars_repo_name`` (else   ``repo_name``
                        the forks, then issues repo)
``path``                that repo's ``*_repo_path``     ``path`` (leading ``/`` removed)
``stars``               ``max_stars_count`` (only when  ``star_events_count``
                        the stars repo is the one used)
``license``             that repo's ``*_repo_licenses``  ``detected_licenses`` joined
                        joined with `` AND ``           with `` AND ``; none: null
``license_source``      ``the-stack:<column>``          ``the-stack-v2:detected_licenses``
``size``                ``size``                        ``length_bytes``
``data``                ``content``                     ``content`` or ``text``
given language          ``lang``                        ``language``
======================  ==============================  ===============================

Several licenses are joined with ``AND``, as our own repo-license detector
joins the license texts it finds in one repository: each found license
applies, so a re-check keeps the file only when all are permissive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..languages import DATA_FORMATS, STARCODER_LANGUAGES
from ..licenses import normalize_spdx_expression

V1 = "v1"
V2 = "v2"
CONTENT_COLUMNS = ("content", "text")  # v2 derived sets name the fetched text "text"
V1_FAMILIES = ("max_stars", "max_forks", "max_issues")  # the order a v1 repo is chosen in


class StackSourceError(ValueError):
    """A Stack source that cannot be read at all: missing, or in an unknown layout."""


class StackSchemaError(StackSourceError):
    """A Stack file whose columns are neither The Stack v1 nor v2 layout."""


@dataclass(frozen=True)
class StackLayout:
    """Which published layout a file follows and the columns read from it."""

    version: str
    content: str  # the column holding the text

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping may read (absent ones are simply null)."""
        if self.version == V1:
            per_repo = ("repo_name", "repo_path", "repo_licenses")
            repo = tuple(f"{family}_{part}" for family in V1_FAMILIES for part in per_repo)
            return (self.content, *repo, "max_stars_count", "size", "lang")
        return (
            *(self.content, "repo_name", "path", "star_events_count"),
            *("detected_licenses", "length_bytes", "language"),
        )


def detect_layout(columns: Iterable[str], where: str) -> StackLayout:
    """The Stack v1 or v2 from a file's column names; a one-line error naming what is missing."""
    names = set(columns)
    content = next((c for c in CONTENT_COLUMNS if c in names), None)
    if {"max_stars_repo_name", "max_stars_repo_path"} <= names:
        version = V1
    elif {"repo_name", "path"} <= names:
        version = V2
    else:
        version = None
    if content is not None and version is not None:
        return StackLayout(version=version, content=content)
    missing = [] if content else ["content (or text)"]
    if version is None:
        v1 = [c for c in ("max_stars_repo_name", "max_stars_repo_path") if c not in names]
        v2 = [c for c in ("repo_name", "path") if c not in names]
        missing.append(f"{' + '.join(v1)} (The Stack v1) or {' + '.join(v2)} (v2)")
    found = ", ".join(sorted(names)[:12]) + (", ..." if len(names) > 12 else "")
    raise StackSchemaError(
        f"{where} is not in The Stack's layout: missing {'; '.join(missing)} "
        f"(has: {found or 'none'})"
    )


@dataclass(frozen=True)
class StackRow:
    """What one row of The Stack says about its file, before the bytes."""

    repo: str
    path: str
    stars: int | None
    license: str | None
    license_source: str | None
    size: int | None
    language: str | None


def map_row(layout: StackLayout, row: dict) -> StackRow:
    """Our fields of one row of The Stack (v1 or v2), by the table in this module's docstring."""
    if layout.version == V1:
        family = next((f for f in V1_FAMILIES if _text(row.get(f"{f}_repo_name"))), "max_stars")
        licenses_column = f"{family}_repo_licenses"
        license = join_licenses(row.get(licenses_column))
        return StackRow(
            repo=_text(row.get(f"{family}_repo_name")),
            path=_text(row.get(f"{family}_repo_path")),
            stars=_int(row.get("max_stars_count")) if family == "max_stars" else None,
            license=license,
            license_source=f"the-stack:{licenses_column}" if license else None,
            size=_int(row.get("size")),
            language=given_language(row.get("lang")),
        )
    license = join_licenses(row.get("detected_licenses"))
    return StackRow(
        repo=_text(row.get("repo_name")),
        path=_text(row.get("path")).lstrip("/"),
        stars=_int(row.get("star_events_count")),
        license=license,
        license_source="the-stack-v2:detected_licenses" if license else None,
        size=_int(row.get("length_bytes")),
        language=given_language(row.get("language")),
    )


def join_licenses(licenses) -> str | None:
    """A list of SPDX ids as one expression, ``AND``-joined (sorted, unique); None if empty.

    >>> join_licenses(["MIT", "apache-2.0", "MIT"])
    'Apache-2.0 AND MIT'
    """
    if isinstance(licenses, str):
        licenses = [licenses]
    if not isinstance(licenses, (list, tuple)):
        return None
    ids = set()
    for text in licenses:
        text = _text(text).strip()
        if text:
            spdx = normalize_spdx_expression(text, strict=False) or text
            ids.add(f"({spdx})" if " " in spdx else spdx)
    return " AND ".join(sorted(ids)) or None


_OUR_LANGUAGES = frozenset((*STARCODER_LANGUAGES, *DATA_FORMATS))


def given_language(name) -> str | None:
    """One of our language names for The Stack's ``lang``/``language``, or None.

    The Stack writes GitHub Linguist names (``C++``, ``C#``, ``Emacs Lisp``);
    StarCoder's data folders use the same names lower-cased and dashed
    (``cpp``, ``c-sharp``, ``emacs-lisp``).

    >>> given_language("C++"), given_language("Emacs Lisp"), given_language("Brainfuck")
    ('cpp', 'emacs-lisp', None)
    """
    if not isinstance(name, str):
        return None
    key = name.strip().lower().replace("++", "pp").replace("#", "-sharp")
    key = re.sub(r"[\s_]+", "-", key)
    return key if key in _OUR_LANGUAGES else None


def _text(value) -> str:
    """A string field as text; null or another JSON type (hostile input) as ``""``."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _int(value) -> int | None:
    """A count as int64; null, another type or a value out of int64's range as None."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        return None
    return int(value) if -(2**63) <= value < 2**63 else None
