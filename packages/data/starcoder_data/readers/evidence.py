"""Where the license of an installed source tree is written down.

Installed trees carry no LICENSE at their root: a site-packages package's
license is in its ``*.dist-info``; a Debian-installed tree's in the owning
package's ``/usr/share/doc/<package>/copyright``; the Python standard
library's in the ``LICENSE.txt`` next to it; the JDK sources' in the JDK's
``legal/`` folder. Each finder returns (name, absolute path) pairs, the name
being the file's conventional name that the license detector parses by.
"""

from __future__ import annotations

import bisect
import functools
import glob
import os
from collections import Counter

DPKG_INFO = "/var/lib/dpkg/info"
DEBIAN_DOC = "/usr/share/doc"
_LICENSE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE", "COPYRIGHT")

LicenseFiles = tuple[tuple[str, str], ...]


def stdlib_license_files(stdlib: str) -> LicenseFiles:
    """The ``LICENSE.txt`` CPython installs next to its standard library."""
    path = os.path.join(stdlib, "LICENSE.txt")
    return (("LICENSE.txt", path),) if os.path.isfile(path) else ()


# CPython's LICENSE.txt stacks the licenses of Python's whole history (CNRI,
# BeOpen, CWI); the one current Python is distributed under is the PSF License
# Agreement, the section between these two headings.
_PSF_SECTION = (b"PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2", b"BEOPEN.COM LICENSE AGREEMENT")


def governing_section(data: bytes) -> bytes:
    """The part of a license file that governs the current release (CPython's PSF section)."""
    start, end = data.find(_PSF_SECTION[0]), data.find(_PSF_SECTION[1])
    return data[start:end] if 0 <= start < end else data


def dist_info_license_files(site_packages: str, top_level: str) -> LicenseFiles:
    """METADATA and license files of the distribution that installs ``top_level``."""
    dist_info = _dist_info_by_top_level(os.path.realpath(site_packages)).get(top_level)
    if dist_info is None:
        return ()
    found = []
    for dirpath, dirnames, filenames in os.walk(dist_info):
        dirnames.sort()
        for filename in sorted(filenames):
            relative = os.path.relpath(os.path.join(dirpath, filename), dist_info)
            # Files right under licenses/ (PEP 639); deeper ones are vendored parts' licenses.
            folder = os.path.dirname(relative)
            top_license = folder == "" and filename.upper().startswith(_LICENSE_PREFIXES)
            if filename == "METADATA" or folder == "licenses" or top_license:
                found.append((relative.replace(os.sep, "/"), os.path.join(dirpath, filename)))
    return tuple(found)


@functools.cache
def _dist_info_by_top_level(site_packages: str) -> dict[str, str]:
    """Top-level importable name -> its ``*.dist-info`` folder, from top_level.txt or RECORD."""
    owners: dict[str, str] = {}
    for dist_info in sorted(glob.glob(os.path.join(site_packages, "*.dist-info"))):
        for name in _top_level_names(dist_info):
            owners.setdefault(name, dist_info)
    return owners


def _top_level_names(dist_info: str) -> set[str]:
    top_level = os.path.join(dist_info, "top_level.txt")
    if os.path.isfile(top_level):
        with open(top_level, encoding="utf-8", errors="replace") as handle:
            return {line.strip() for line in handle if line.strip()}
    names = set()
    try:
        with open(os.path.join(dist_info, "RECORD"), encoding="utf-8", errors="replace") as handle:
            for line in handle:
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first and not first.endswith((".dist-info", ".pth")) and first != "..":
                    names.add(first[: -len(".py")] if first.endswith(".py") else first)
    except OSError:
        return set()
    return names


def debian_license_files(paths: list[str]) -> LicenseFiles:
    """The copyright file of the Debian package owning most of ``paths`` (files or folders)."""
    owners: Counter[str] = Counter()
    for path in paths:
        owners.update(_debian_owners(path))
    for package, _ in owners.most_common():
        copyright_file = os.path.join(DEBIAN_DOC, package, "copyright")
        if os.path.isfile(copyright_file):
            return (("debian/copyright", copyright_file),)
    return ()


def _debian_owners(path: str) -> list[str]:
    """Packages listing ``path`` itself or, for a folder, each file under it."""
    paths, packages = _dpkg_index()
    owners = []
    for prefix, exact in ((path, True), (path + "/", False)):
        i = bisect.bisect_left(paths, prefix)
        while i < len(paths) and (paths[i] == prefix if exact else paths[i].startswith(prefix)):
            owners.append(packages[i])
            i += 1
    return owners


@functools.cache
def _dpkg_index() -> tuple[list[str], list[str]]:
    """Every path dpkg installed, sorted, with its package (read once from ``*.list``)."""
    pairs = []
    for listing in glob.glob(os.path.join(DPKG_INFO, "*.list")):
        package = os.path.basename(listing)[: -len(".list")].split(":", 1)[0]
        try:
            with open(listing, encoding="utf-8", errors="surrogateescape") as handle:
                pairs.extend((line.rstrip("\n"), package) for line in handle if line.strip())
        except OSError:
            continue
    pairs.sort()
    return [p for p, _ in pairs], [k for _, k in pairs]


def jdk_license_files(jdk_home: str, module: str) -> LicenseFiles:
    """The JDK's license for ``module``: ``legal/<module>/LICENSE``, else java.base's."""
    for candidate in (
        os.path.join(jdk_home, "legal", module, "LICENSE"),
        os.path.join(jdk_home, "legal", "java.base", "LICENSE"),
        os.path.join(jdk_home, "LICENSE"),
    ):
        if os.path.isfile(candidate):
            return (("LICENSE", candidate),)
    return ()
