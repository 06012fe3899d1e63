"""Which license a repository (or a file) is under, and whether it is permissive.

The Stack v1 (Kocetkov et al. 2022), and so StarCoder, kept only files from
repositories under a permissive license. A repository's license is decided
from its license evidence, most trustworthy first:

1. structured metadata written by the authors: Python core metadata
   (``METADATA``/``PKG-INFO``: PEP 639 ``License-Expression``, a recognised
   ``License:`` value, Trove license classifiers), ``pyproject.toml``,
   ``setup.cfg``, ``package.json``, ``Cargo.toml``;
2. license texts (``LICENSE*``, ``COPYING*``, ...) identified by askalono,
   one call per license file;
3. Debian machine-readable copyright files (DEP-5), ``License:`` of the
   ``Files: *`` paragraph.

A file that states its own ``SPDX-License-Identifier`` in its header is under
that license, whatever the repository says (:class:`SpdxHeaderTagger`).

Licenses are SPDX expressions; an expression is permissive when every ``AND``
operand and at least one ``OR`` operand is on the allow-list (a ``WITH``
exception never removes permissions, so the base license decides).
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import HeaderParser
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .languages import UNKNOWN, language_of
from .schema import CONTENT, LICENSE, LICENSE_SOURCE
from .stage import Filter, live_mask

# The Stack v1 kept licenses that the Blue Oak Council rates permissive
# (https://blueoakcouncil.org/list), which is also ScanCode's "Permissive" and
# "Public Domain" categories. Weak copyleft (MPL, LGPL, EPL, CDDL) is excluded.
# Artistic-2.0 is in: Blue Oak rates it permissive and The Stack's license list has it.
PERMISSIVE_LICENSES = frozenset(
    {
        "0BSD",
        "AFL-3.0",
        "Apache-2.0",
        "Artistic-2.0",
        "BlueOak-1.0.0",
        "BSD-2-Clause",
        "BSD-2-Clause-Patent",
        "BSD-3-Clause",
        "BSD-3-Clause-Clear",
        "BSL-1.0",
        "CC0-1.0",
        "ECL-2.0",
        "ISC",
        "MIT",
        "MIT-0",
        "MS-PL",
        "NCSA",
        "PostgreSQL",
        "PSF-2.0",
        "Python-2.0",
        "Unlicense",
        "UPL-1.0",
        "WTFPL",
        "X11",
        "Zlib",
    }
)

# askalono's score is the similarity to its closest SPDX text. On Debian's DEP-5
# files (benchmarks/license_accuracy.py) accepting >= 0.8 gives 86% accuracy at
# 90.5% precision (any score: 89% / 89%); lower scores are mostly notices or
# custom texts matched to a wrong license.
TEXT_MATCH_MIN_SCORE = 0.8
SPDX_HEADER_LINES = 20  # REUSE puts the SPDX tag in the file's first comment block
_MAX_TEXT_CHARS = 100_000  # the longest common license text (GPL-3.0) is ~35k chars

_KNOWN_SPDX_IDS = (
    *sorted(PERMISSIVE_LICENSES),
    *("AGPL-1.0-only", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.0", "Apache-1.1"),
    *("APSL-2.0", "Artistic-1.0", "Artistic-1.0-Perl", "Beerware", "BSD-1-Clause"),
    *("BSD-4-Clause", "BUSL-1.1", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-SA-3.0"),
    *("CC-BY-SA-4.0", "CDDL-1.0", "CDDL-1.1", "CECILL-2.1", "curl", "EPL-1.0", "EPL-2.0"),
    *("EUPL-1.1", "EUPL-1.2", "FTL", "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3-only"),
    *("GFDL-1.3-or-later", "GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only"),
    *("GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ICU", "IJG"),
    *("ImageMagick", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only"),
    *("LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "Libpng", "libtiff"),
    *("LPPL-1.3c", "MIT-CMU", "MPL-1.1", "MPL-2.0", "MS-RL", "MulanPSL-2.0", "OFL-1.1"),
    *("OpenSSL", "OSL-3.0", "SSPL-1.0", "Unicode-DFS-2016", "Vim", "W3C", "ZPL-2.1"),
)
_CANONICAL_IDS = {spdx.lower(): spdx for spdx in _KNOWN_SPDX_IDS}
# Deprecated SPDX ids that are still common in metadata.
_CANONICAL_IDS |= {
    f"{family.lower()}-{version}{suffix}": f"{family}-{version}-{meaning}"
    for family, versions in (("GPL", "123"), ("LGPL", "23"), ("AGPL", "3"))
    for version in (f"{v}.0" for v in versions)
    for suffix, meaning in (("", "only"), ("+", "or-later"))
} | {"lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later"}

PUBLIC_DOMAIN = "LicenseRef-public-domain"
PROPRIETARY = "LicenseRef-proprietary"

# Well-known names, as written in metadata and in Trove classifiers, keyed by
# _name_key (lower-cased words without "the", "license", "version", "software").
_NAME_ALIASES = {
    "mit": "MIT",
    "expat": "MIT",
    "mit 0": "MIT-0",
    "mit no attribution": "MIT-0",
    "apache": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache 2 0": "Apache-2.0",
    "apache2": "Apache-2.0",
    "asl 2 0": "Apache-2.0",
    "bsd": "BSD-3-Clause",  # Trove's "BSD License" and bare "BSD" mostly mean the 3-clause form
    "new bsd": "BSD-3-Clause",
    "modified bsd": "BSD-3-Clause",
    "revised bsd": "BSD-3-Clause",
    "bsd 3": "BSD-3-Clause",
    "bsd 3 clause": "BSD-3-Clause",
    "3 clause bsd": "BSD-3-Clause",
    "simplified bsd": "BSD-2-Clause",
    "freebsd": "BSD-2-Clause",
    "bsd 2": "BSD-2-Clause",
    "bsd 2 clause": "BSD-2-Clause",
    "2 clause bsd": "BSD-2-Clause",
    "isc": "ISC",
    "iscl": "ISC",
    "psf": "PSF-2.0",
    "psfl": "PSF-2.0",
    "python foundation": "PSF-2.0",
    "unlicense": "Unlicense",
    "cc0": "CC0-1.0",
    "cc0 1 0": "CC0-1.0",
    "zlib": "Zlib",
    "zlib libpng": "Zlib",
    "boost": "BSL-1.0",
    "bsl 1 0": "BSL-1.0",
    "boost 1 0": "BSL-1.0",
    "wtfpl": "WTFPL",
    "upl": "UPL-1.0",
    "universal permissive": "UPL-1.0",
    "artistic 2 0": "Artistic-2.0",
    "mpl 2 0": "MPL-2.0",
    "mozilla public 2 0": "MPL-2.0",
    "epl 2 0": "EPL-2.0",
    "eclipse public 2 0": "EPL-2.0",
    "gpl": "GPL-1.0-or-later",  # SPDX: an unversioned GPL grant allows any version
    "gplv2": "GPL-2.0-only",
    "gplv2+": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
    "gplv3+": "GPL-3.0-or-later",
    "lgpl": "LGPL-2.0-or-later",
    "lgplv2": "LGPL-2.0-only",
    "lgplv2+": "LGPL-2.0-or-later",
    "lgplv3": "LGPL-3.0-only",
    "lgplv3+": "LGPL-3.0-or-later",
    "agplv3": "AGPL-3.0-only",
    "agplv3+": "AGPL-3.0-or-later",
    "gnu affero general public 3": "AGPL-3.0-only",
    "public domain": PUBLIC_DOMAIN,
    "other proprietary": PROPRIETARY,
    "proprietary": PROPRIETARY,
    "unlicensed": PROPRIETARY,  # npm: "UNLICENSED" means no license is granted
}
_NAME_NOISE = {"the", "license", "licence", "version", "software", "v"}

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

_METADATA_FILES = ("METADATA", "PKG-INFO", "pyproject.toml", "setup.cfg", "package.json")
_STRUCTURED_FILES = (*_METADATA_FILES, "Cargo.toml")
_LICENSE_TEXT_STEMS = ("LICENSE", "LICENCE", "COPYING", "UNLICENSE")
_TEXT_FILE_LANGUAGES = {UNKNOWN, "markdown", "restructuredtext"}  # what LICENSE.* may be


@dataclass(frozen=True)
class LicenseMatch:
    """A license decision: SPDX expression, the evidence it came from, and a confidence."""

    spdx: str
    source: str  # path of the evidence file, or "spdx-header"
    score: float  # 1.0 for declared licenses, askalono's score for identified texts


@dataclass(frozen=True, kw_only=True)
class LicenseConfig:
    allowed: frozenset[str] = PERMISSIVE_LICENSES  # The Stack v1: Blue Oak permissive list


_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-+:]*$")


def _canonical_id(token: str) -> str | None:
    if token.lower().startswith(("licenseref-", "documentref-")):
        return token
    return _CANONICAL_IDS.get(token.lower())


class _Parser:
    """Recursive descent over SPDX tokens: OR binds looser than AND, AND looser than WITH.

    A node is a license id (str) or ``(operator, [nodes])``.
    """

    def __init__(self, tokens: list[str], strict: bool):
        self.tokens = tokens
        self.position = 0
        self.strict = strict

    def parse(self) -> str | tuple | None:
        node = self._any_of("OR", self._all_of)
        return node if self.position == len(self.tokens) else None

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _any_of(self, operator: str, operand) -> str | tuple | None:
        nodes = [operand()]
        while nodes[-1] is not None and (self._peek() or "").upper() == operator:
            self.position += 1
            nodes.append(operand())
        if any(node is None for node in nodes):
            return None
        return nodes[0] if len(nodes) == 1 else (operator, nodes)

    def _all_of(self) -> str | tuple | None:
        return self._any_of("AND", self._license)

    def _license(self) -> str | tuple | None:
        token = self._peek()
        if token is None or token == ")" or token.upper() in ("AND", "OR", "WITH"):
            return None
        self.position += 1
        if token == "(":
            node = self._any_of("OR", self._all_of)
            if self._peek() != ")":
                return None
            self.position += 1
            return node
        if not _ID.match(token):
            return None
        if (self._peek() or "").upper() == "WITH":
            self.position += 2  # the exception adds permissions: the base license decides
            if self.position > len(self.tokens):
                return None
        canonical = _canonical_id(token)
        return canonical if canonical is not None or self.strict else token


def _parse(expression: str, strict: bool) -> str | tuple | None:
    tokens = _TOKEN.findall(expression)
    return _Parser(tokens, strict).parse() if tokens else None


def _render(node: str | tuple, parent: str | None = None) -> str:
    if isinstance(node, str):
        return node
    operator, operands = node
    text = f" {operator} ".join(_render(operand, operator) for operand in operands)
    return f"({text})" if parent == "AND" and operator == "OR" else text


def normalize_spdx_expression(expression: str, *, strict: bool = True) -> str | None:
    """Canonical form of an SPDX expression, or None if it does not parse.

    With ``strict`` every id must be a known SPDX id or a ``LicenseRef-``;
    otherwise unknown but well-formed ids are kept as written. ``WITH``
    exceptions are dropped.

    >>> normalize_spdx_expression("(mit or apache-2.0) AND GPL-2.0+ WITH Classpath-exception-2.0")
    '(MIT OR Apache-2.0) AND GPL-2.0-or-later'
    """
    node = _parse(expression, strict)
    return None if node is None else _render(node)


@lru_cache(maxsize=4096)
def is_permissive(expression: str, allowed: frozenset[str] = PERMISSIVE_LICENSES) -> bool:
    """Whether ``expression`` lets the file be used under licenses in ``allowed`` only.

    >>> is_permissive("MIT OR GPL-3.0-only"), is_permissive("MIT AND GPL-3.0-only")
    (True, False)
    """
    node = _parse(expression, strict=False)
    allowed_lower = frozenset(spdx.lower() for spdx in allowed)
    return node is not None and _allows(node, allowed_lower)


def _allows(node: str | tuple, allowed_lower: frozenset[str]) -> bool:
    if isinstance(node, str):
        return node.lower() in allowed_lower
    operator, operands = node
    combine = any if operator == "OR" else all
    return combine(_allows(operand, allowed_lower) for operand in operands)


def _name_key(name: str) -> str:
    words = re.findall(r"[a-z0-9+]+", name.lower())
    return " ".join(word for word in words if word not in _NAME_NOISE)


def recognise_license(value: str) -> str | None:
    """SPDX expression for a declared license: an SPDX expression or a well-known name.

    >>> recognise_license("Apache License, Version 2.0"), recognise_license("UNKNOWN")
    ('Apache-2.0', None)
    """
    value = value.strip()
    if not value or len(value) > 200:  # a whole license text pasted into the field
        return None
    return normalize_spdx_expression(value) or _NAME_ALIASES.get(_name_key(value))


def _from_classifiers(classifiers: list[str]) -> str | None:
    """Trove ``License ::`` classifiers; several of them declare a choice (dual licensing)."""
    found = set()
    for classifier in classifiers:
        parts = [part.strip() for part in classifier.split("::")]
        if len(parts) < 2 or parts[0] != "License":
            continue
        name = parts[-1]
        short = re.search(r"\(([^)]+)\)", name)
        spdx = (short and _NAME_ALIASES.get(_name_key(short.group(1)))) or _NAME_ALIASES.get(
            _name_key(name)
        )
        if spdx:
            found.add(spdx)
    return " OR ".join(sorted(found)) or None


def _from_core_metadata(text: str) -> str | None:
    headers = HeaderParser().parsestr(text)
    for field in ("License-Expression", "License"):
        value = headers.get(field)
        if value and (spdx := recognise_license(str(value))):
            return spdx
    return _from_classifiers([str(c) for c in headers.get_all("Classifier") or []])


def _from_pyproject(text: str) -> str | None:
    data = tomllib.loads(text)
    project = data.get("project", {})
    declared = project.get("license")
    if isinstance(declared, dict):
        declared = declared.get("text")
    candidates = [
        recognise_license(declared) if isinstance(declared, str) else None,
        _from_classifiers([c for c in project.get("classifiers", []) if isinstance(c, str)]),
    ]
    poetry_license = data.get("tool", {}).get("poetry", {}).get("license")
    if isinstance(poetry_license, str):
        candidates.append(recognise_license(poetry_license))
    return next((spdx for spdx in candidates if spdx), None)


def _from_setup_cfg(text: str) -> str | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return None
    metadata = parser["metadata"]
    for field in ("license_expression", "license"):
        if field in metadata and (spdx := recognise_license(metadata[field])):
            return spdx
    return _from_classifiers(metadata.get("classifiers", "").splitlines())


def _from_package_json(text: str) -> str | None:
    data = json.loads(text)
    if not isinstance(data, dict):
        return None
    declared = data.get("license")
    if isinstance(declared, dict):
        declared = declared.get("type")
    if isinstance(declared, str):
        return recognise_license(declared)
    legacy = data.get("licenses")  # npm's deprecated list form: a choice of licenses
    if isinstance(legacy, list):
        names = [item.get("type") if isinstance(item, dict) else item for item in legacy]
        found = {recognise_license(name) for name in names if isinstance(name, str)} - {None}
        return " OR ".join(sorted(found)) or None
    return None


def _from_cargo_toml(text: str) -> str | None:
    declared = tomllib.loads(text).get("package", {}).get("license")
    if not isinstance(declared, str):
        return None
    return recognise_license(declared.replace("/", " OR "))  # "MIT/Apache-2.0" is Cargo's old OR


_STRUCTURED_PARSERS = {
    "METADATA": _from_core_metadata,
    "PKG-INFO": _from_core_metadata,
    "pyproject.toml": _from_pyproject,
    "setup.cfg": _from_setup_cfg,
    "package.json": _from_package_json,
    "Cargo.toml": _from_cargo_toml,
}


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
        part_tokens = _TOKEN.findall(part)
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
        return _canonical_id(spdx)
    return _DEBIAN_NAMES.get(name.lower()) or _canonical_id(name)


def _from_debian_copyright(text: str) -> str | None:
    paragraphs = dep5_paragraphs(text)
    if not paragraphs or "Format" not in paragraphs[0]:
        return None
    for paragraph in paragraphs[1:]:
        if "*" in paragraph.get("Files", "").split() and "License" in paragraph:
            return debian_license_to_spdx(paragraph["License"].split("\n", 1)[0])
    return None


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
        parse = _STRUCTURED_PARSERS.get(path.rsplit("/", 1)[-1])
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
        if path.rsplit("/", 1)[-1] == "copyright" and (spdx := _from_debian_copyright(text)):
            return LicenseMatch(spdx=spdx, source=path, score=1.0)
    return None


_SPDX_TAG = "SPDX-License-Identifier:"
_SPDX_VALUE = re.compile(r"SPDX-License-Identifier:\s*(.*?)\s*(?:\*/|-->|\*\)|-\}|#\}|%>|$)")


def spdx_header_license(content: str) -> str | None:
    """The license a file declares in an ``SPDX-License-Identifier`` tag near its top."""
    head = "\n".join(content.split("\n", SPDX_HEADER_LINES)[:SPDX_HEADER_LINES])
    for line in head.split("\n"):
        found = _SPDX_VALUE.search(line)
        spdx = found and normalize_spdx_expression(found.group(1), strict=False)
        if spdx:
            return spdx
    return None


class SpdxHeaderTagger:
    """Stage: a live file with an SPDX header gets that license, overriding the repository's."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        tagged = pc.fill_null(pc.match_substring(batch[CONTENT], _SPDX_TAG), False)
        candidates = np.flatnonzero(tagged.to_numpy(zero_copy_only=False) & live_mask(batch))
        if candidates.size == 0:
            return batch
        licenses = batch[LICENSE].to_pylist()
        sources = batch[LICENSE_SOURCE].to_pylist()
        contents = batch[CONTENT].take(pa.array(candidates)).to_pylist()
        for row, content in zip(candidates.tolist(), contents, strict=True):
            spdx = spdx_header_license(content)
            if spdx:
                licenses[row], sources[row] = spdx, "spdx-header"
        for name, values in ((LICENSE, licenses), (LICENSE_SOURCE, sources)):
            index = batch.schema.get_field_index(name)
            batch = batch.set_column(
                index, batch.schema.field(index), pa.array(values, pa.string())
            )
        return batch


class PermissiveLicenseFilter(Filter):
    """Drop files with no license found, or whose license is not on the allow-list."""

    stage = "license"
    name = "not_permissive"

    def __init__(self, config: LicenseConfig | None = None):
        self.config = config or LicenseConfig()

    def reasons(self, batch: pa.Table) -> list[str | None]:
        return [self._reason(spdx) for spdx in batch[LICENSE].to_pylist()]

    def _reason(self, spdx: str | None) -> str | None:
        if spdx is None or not spdx.strip():
            return f"{self.stage}:no_license"
        return None if is_permissive(spdx, self.config.allowed) else self.drop_reason
