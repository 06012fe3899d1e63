"""Which license a repository is under, decided from its license evidence files.

A repository's license is decided from its license evidence, most
trustworthy first:

1. structured metadata written by the authors: Python core metadata
   (``METADATA``/``PKG-INFO``: PEP 639 ``License-Expression``, a recognised
   ``License:`` value, Trove license classifiers), ``pyproject.toml``,
   ``setup.cfg``, ``package.json``, ``Cargo.toml``;
2. license texts (``LICENSE*``, ``COPYING*``, ...) identified by askalono,
   one call per license file;
3. Debian machine-readable copyright files (DEP-5), ``License:`` of the
   ``Files: *`` paragraph.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..languages import UNKNOWN, language_of
from .debian import debian_copyright_license
from .metadata import STRUCTURED_PARSERS

# askalono's score is the similarity to its closest SPDX text. On Debian's DEP-5
# files (benchmarks/license_accuracy.py) accepting >= 0.8 gives 86% accuracy at
# 90.5% precision (any score: 89% / 89%); lower scores are mostly notices or
# custom texts matched to a wrong license.
TEXT_MATCH_MIN_SCORE = 0.8
_MAX_TEXT_CHARS = 100_000  # the longest common license text (GPL-3.0) is ~35k chars

_STRUCTURED_FILES = tuple(STRUCTURED_PARSERS)
_LICENSE_TEXT_STEMS = ("LICENSE", "LICENCE", "COPYING", "UNLICENSE")
_TEXT_FILE_LANGUAGES = {UNKNOWN, "markdown", "restructuredtext"}  # what LICENSE.* may be


@dataclass(frozen=True)
class LicenseMatch:
    """A license decision: SPDX expression, the evidence it came from, and a confidence."""

    spdx: str
    source: str  # path of the evidence file, or "spdx-header"
    score: float  # 1.0 for declared licenses, askalono's score for identified texts


def identify_license_text(
    text: str, *, source: str, min_score: float = TEXT_MATCH_MIN_SCORE
) -> LicenseMatch | None:
    """Identify a license text with askalono (~0.1 s a call: once per license file)."""
    import askalono

    try:
        found = askalono.identify(text[:_MAX_TEXT_CHARS])
    except Exception:  # askalono rejects some inputs (e.g. empty text); treat as unidentified
        return None
    if found is None or found.score < min_score:
        return None
    return LicenseMatch(spdx=found.name, source=source, score=float(found.score))


def is_license_file(path: str) -> bool:
    """Whether ``path`` is license evidence that :func:`detect_repo_license` reads.

    NOTICE files are not: they carry attributions, not a license grant.
    """
    name = path.rsplit("/", 1)[-1]
    if name in _STRUCTURED_FILES or name == "copyright":
        return True
    stem = re.split(r"[.\-_]", name.upper(), maxsplit=1)[0]
    return stem in _LICENSE_TEXT_STEMS and language_of(name) in _TEXT_FILE_LANGUAGES


def _by_depth(files: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """(path, text) pairs, repository root first: the top-level evidence speaks for the repo."""
    paths = sorted(files, key=lambda p: (p.strip("/").count("/"), p))
    return [(p, files[p].decode("utf-8", errors="replace")) for p in paths]


def _declared_license(evidence: list[tuple[str, str]]) -> LicenseMatch | None:
    for path, text in evidence:
        parse = STRUCTURED_PARSERS.get(path.rsplit("/", 1)[-1])
        if parse is None:
            continue
        try:
            spdx = parse(text)
        except (ValueError, TypeError, AttributeError, configparser.Error):
            # malformed or oddly shaped JSON/TOML/INI is not evidence
            spdx = None
        if spdx:
            return LicenseMatch(spdx=spdx, source=path, score=1.0)
    return None


def _identified_license(evidence: list[tuple[str, str]], min_score: float) -> LicenseMatch | None:
    """License texts at the shallowest depth that has any; several must all hold (AND)."""
    matches: list[LicenseMatch] = []
    depth = None
    for path, text in evidence:
        name = path.rsplit("/", 1)[-1]
        if name in _STRUCTURED_FILES or name == "copyright" or not is_license_file(path):
            continue
        if matches and path.strip("/").count("/") > depth:
            break
        match = identify_license_text(text, source=path, min_score=min_score)
        if match:
            matches.append(match)
            depth = path.strip("/").count("/")
    if not matches:
        return None
    spdx = " AND ".join(sorted({m.spdx for m in matches}))
    sources = ",".join(m.source for m in matches)
    return LicenseMatch(spdx=spdx, source=sources, score=min(m.score for m in matches))


def detect_repo_license(
    files: Mapping[str, bytes], *, min_text_score: float = TEXT_MATCH_MIN_SCORE
) -> LicenseMatch | None:
    """Decide a repository's license from its license evidence files, or None.

    ``files`` maps paths relative to the repository root (those for which
    :func:`is_license_file` holds) to their bytes.
    """
    evidence = _by_depth(files)
    found = _declared_license(evidence) or _identified_license(evidence, min_text_score)
    if found:
        return found
    for path, text in evidence:
        if path.rsplit("/", 1)[-1] == "copyright" and (spdx := debian_copyright_license(text)):
            return LicenseMatch(spdx=spdx, source=path, score=1.0)
    return None
