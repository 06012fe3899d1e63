"""Which license a repository (or a file) is under, and whether it is permissive.

The Stack v1 (Kocetkov et al. 2022), and so StarCoder, kept only files from
repositories under a permissive license. :mod:`.detect` decides a repository's
license from its license evidence (package :mod:`.metadata`, license texts,
:mod:`.debian` copyright files); :mod:`.spdx` parses SPDX expressions and says
whether one is permissive; :mod:`.stages` tags files by their own SPDX header
and drops the ones not permissively licensed.
"""

from .debian import debian_license_to_spdx, dep5_paragraphs
from .detect import (
    TEXT_MATCH_MIN_SCORE,
    LicenseMatch,
    detect_repo_license,
    identify_license_text,
    is_license_file,
)
from .metadata import recognise_license
from .spdx import (
    PERMISSIVE_LICENSES,
    PROPRIETARY,
    PUBLIC_DOMAIN,
    is_permissive,
    normalize_spdx_expression,
)
from .stages import (
    SPDX_HEADER_LINES,
    LicenseConfig,
    PermissiveLicenseFilter,
    SpdxHeaderTagger,
    spdx_header_license,
)

__all__ = [
    "PERMISSIVE_LICENSES",
    "PROPRIETARY",
    "PUBLIC_DOMAIN",
    "SPDX_HEADER_LINES",
    "TEXT_MATCH_MIN_SCORE",
    "LicenseConfig",
    "LicenseMatch",
    "PermissiveLicenseFilter",
    "SpdxHeaderTagger",
    "debian_license_to_spdx",
    "dep5_paragraphs",
    "detect_repo_license",
    "identify_license_text",
    "is_license_file",
    "is_permissive",
    "normalize_spdx_expression",
    "recognise_license",
    "spdx_header_license",
]
