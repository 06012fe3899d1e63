"""The license that package metadata declares, as an SPDX expression.

Authors write it as an SPDX expression, a well-known name or Trove
classifiers, in Python core metadata (``METADATA``/``PKG-INFO``: PEP 639
``License-Expression``, ``License:``, classifiers), ``pyproject.toml``,
``setup.cfg``, ``package.json`` or ``Cargo.toml``.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from email.parser import HeaderParser

from .spdx import PROPRIETARY, PUBLIC_DOMAIN, normalize_spdx_expression

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


# file name -> parser of the license it declares
STRUCTURED_PARSERS = {
    "METADATA": _from_core_metadata,
    "PKG-INFO": _from_core_metadata,
    "pyproject.toml": _from_pyproject,
    "setup.cfg": _from_setup_cfg,
    "package.json": _from_package_json,
    "Cargo.toml": _from_cargo_toml,
}
