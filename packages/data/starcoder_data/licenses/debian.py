"""Debian machine-readable copyright files (DEP-5) and their license short names."""

from __future__ import annotations

import re

from .spdx import PUBLIC_DOMAIN, SPDX_TOKEN, canonical_id, normalize_spdx_expression

# Debian short names (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/)
# that are not SPDX ids; versioned GNU names are handled by _DEBIAN_GNU.
_DEBIAN_NAMES = {
    "expat": "MIT",
    "apache-2": "Apache-2.0",
    "artistic": "Artistic-1.0-Perl",
    "cc0": "CC0-1.0",
    "psf-2": "PSF-2.0",
    "python": "Python-2.0",
    "boost-1.0": "BSL-1.0",
    "zope-2.1": "ZPL-2.1",
    "public-domain": PUBLIC_DOMAIN,
    "gpl": "GPL-1.0-or-later",
    "lgpl": "LGPL-2.0-or-later",
}
_DEBIAN_GNU = re.compile(r"^(a?gpl|lgpl|gfdl)-(\d+)(?:\.(\d+))?(\+)?$", re.IGNORECASE)


def dep5_paragraphs(text: str) -> list[dict[str, str]]:
    """Paragraphs of a DEP-5 file as {field: value}; continuation lines joined with newlines."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, field = {}, None
        elif line[0] in " \t":
            if field is not None:
                current[field] += "\n" + line
        elif ":" in line:
            field, value = line.split(":", 1)
            field = field.strip()
            current[field] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def debian_license_to_spdx(expression: str) -> str | None:
    """SPDX expression for a DEP-5 ``License:`` short name expression, None if unrecognised.

    >>> debian_license_to_spdx("GPL-2+ or Artistic"), debian_license_to_spdx("Expat")
    ('GPL-2.0-or-later OR Artistic-1.0-Perl', 'MIT')
    """
    words = re.sub(r"\bwith\s+\S+\s+exception\b", "", expression, flags=re.IGNORECASE)
    tokens = []
    for part_index, part in enumerate(words.split(",")):
        part_tokens = SPDX_TOKEN.findall(part)
        if part_index > 0:  # "A or B, and C": the comma closes the expression so far
            tokens = ["(", *tokens, ")"]
        for token in part_tokens:
            if token.lower() in ("and", "or"):
                tokens.append(token.upper())
            elif token in "()":
                tokens.append(token)
            else:
                spdx = _debian_id_to_spdx(token)
                if spdx is None:
                    return None
                tokens.append(spdx)
    return normalize_spdx_expression(" ".join(tokens)) if tokens else None


def _debian_id_to_spdx(name: str) -> str | None:
    gnu = _DEBIAN_GNU.match(name)
    if gnu:
        family, major, minor, later = gnu.groups()
        spdx = f"{family.upper()}-{major}.{minor or 0}-{'or-later' if later else 'only'}"
        return canonical_id(spdx)
    return _DEBIAN_NAMES.get(name.lower()) or canonical_id(name)


def debian_copyright_license(text: str) -> str | None:
    """The license of a DEP-5 file's ``Files: *`` paragraph; None if not DEP-5 or unknown."""
    paragraphs = dep5_paragraphs(text)
    if not paragraphs or "Format" not in paragraphs[0]:
        return None
    for paragraph in paragraphs[1:]:
        if "*" in paragraph.get("Files", "").split() and "License" in paragraph:
            return debian_license_to_spdx(paragraph["License"].split("\n", 1)[0])
    return None
