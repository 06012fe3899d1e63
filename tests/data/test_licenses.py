from __future__ import annotations

import json

import pytest
from corpus_fixture import MIT as MIT_TEXT
from starcoder_data.licenses import (
    PERMISSIVE_LICENSES,
    LicenseConfig,
    LicenseMatch,
    PermissiveLicenseFilter,
    SpdxHeaderTagger,
    debian_license_to_spdx,
    detect_repo_license,
    is_license_file,
    is_permissive,
    normalize_spdx_expression,
    spdx_header_license,
)
from starcoder_data.schema import file_table

GPL3_NOTICE = """Copyright (C) 2023 Example Author

This program is free software: you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation, either version 3 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU General Public License for more details.

You should have received a copy of the GNU General Public License
along with this program.  If not, see <https://www.gnu.org/licenses/>.
"""

DEBIAN_COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: example

Files: *
Copyright: 2001-2023 Example Author
License: BSD-3-clause

Files: debian/*
Copyright: 2023 Packager
License: GPL-2+

License: BSD-3-clause
 Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following conditions are met:
"""


def _detect(files: dict[str, str]) -> LicenseMatch | None:
    return detect_repo_license({path: text.encode() for path, text in files.items()})


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("LICENSE", True),
        ("LICENSE.txt", True),
        ("license.md", True),
        ("LICENSE-MIT", True),
        ("LICENCE", True),
        ("COPYING", True),
        ("COPYING.LESSER", True),
        ("UNLICENSE", True),
        ("sub/dir/LICENSE-APACHE", True),
        ("NOTICE", False),
        ("NOTICE.txt", False),
        ("src/license.py", False),
        ("src/license_test.go", False),
        ("licenses.json", False),
        ("pkg.dist-info/METADATA", True),
        ("PKG-INFO", True),
        ("package.json", True),
        ("Cargo.toml", True),
        ("pyproject.toml", True),
        ("setup.cfg", True),
        ("debian/copyright", True),
        ("copyright", True),
        ("README.md", False),
    ],
)
def test_is_license_file(path, expected):
    assert is_license_file(path) is expected


def test_pep639_license_expression_wins_over_classifiers():
    metadata = (
        "Metadata-Version: 2.4\nName: demo\nLicense-Expression: MIT OR Apache-2.0\n"
        "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)\n\nBody\n"
    )
    assert _detect({"demo.dist-info/METADATA": metadata}) == LicenseMatch(
        spdx="MIT OR Apache-2.0", source="demo.dist-info/METADATA", score=1.0
    )


def test_metadata_license_field_with_a_well_known_name():
    metadata = "Metadata-Version: 2.1\nName: demo\nLicense: Apache License, Version 2.0\n"
    assert _detect({"PKG-INFO": metadata}).spdx == "Apache-2.0"


def test_metadata_free_text_license_falls_back_to_classifiers():
    metadata = (
        "Metadata-Version: 2.1\nName: demo\nLicense: Copyright me, all rights as described\n"
        "Classifier: Programming Language :: Python\n"
        "Classifier: License :: OSI Approved :: BSD License\n"
        "Classifier: License :: OSI Approved :: ISC License (ISCL)\n"
    )
    assert _detect({"PKG-INFO": metadata}).spdx == "BSD-3-Clause OR ISC"


@pytest.mark.parametrize(
    ("classifier", "spdx"),
    [
        ("License :: OSI Approved :: MIT License", "MIT"),
        ("License :: OSI Approved :: Apache Software License", "Apache-2.0"),
        ("License :: OSI Approved :: Python Software Foundation License", "PSF-2.0"),
        (
            "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
            "GPL-2.0-or-later",
        ),
        ("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
        ("License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"),
        ("License :: OSI Approved :: zlib/libpng License", "Zlib"),
        ("License :: OSI Approved", None),
    ],
)
def test_trove_classifiers(classifier, spdx):
    metadata = f"Metadata-Version: 2.1\nName: demo\nClassifier: {classifier}\n"
    found = _detect({"METADATA": metadata})
    assert (found and found.spdx) == spdx


@pytest.mark.parametrize(
    ("package", "spdx"),
    [
        ({"name": "x", "license": "MIT"}, "MIT"),
        ({"name": "x", "license": "(ISC OR GPL-3.0)"}, "ISC OR GPL-3.0-only"),
        ({"name": "x", "license": {"type": "BSD-2-Clause"}}, "BSD-2-Clause"),
        ({"name": "x", "licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}, "Apache-2.0 OR MIT"),
        ({"name": "x", "license": "UNLICENSED"}, "LicenseRef-proprietary"),
        ({"name": "x", "license": "SEE LICENSE IN LICENSE.txt"}, None),
        ({"name": "x"}, None),
    ],
)
def test_package_json(package, spdx):
    found = _detect({"package.json": json.dumps(package)})
    assert (found and found.spdx) == spdx


def test_cargo_pyproject_and_setup_cfg():
    cargo = '[package]\nname = "x"\nlicense = "MIT/Apache-2.0"\n'
    pyproject = '[project]\nname = "x"\nlicense = {text = "BSD"}\n'
    poetry = '[tool.poetry]\nname = "x"\nlicense = "MIT"\n'
    setup_cfg = "[metadata]\nname = x\nclassifiers =\n    License :: OSI Approved :: MIT License\n"
    assert _detect({"Cargo.toml": cargo}).spdx == "MIT OR Apache-2.0"
    assert _detect({"pyproject.toml": pyproject}).spdx == "BSD-3-Clause"
    assert _detect({"pyproject.toml": poetry}).spdx == "MIT"
    assert _detect({"setup.cfg": setup_cfg}).spdx == "MIT"


def test_malformed_metadata_is_skipped_not_fatal():
    files = {
        "package.json": "{not json",
        "Cargo.toml": "[package\n",
        "pyproject.toml": "project = 3",
    }
    assert _detect(files) is None


def test_real_mit_license_text_is_identified():
    found = _detect({"LICENSE": MIT_TEXT, "src/vendored/COPYING": GPL3_NOTICE})
    assert found == LicenseMatch(spdx="MIT", source="LICENSE", score=1.0)
    assert is_permissive(found.spdx)


def test_gpl_text_is_identified_and_not_permissive():
    found = _detect({"COPYING": GPL3_NOTICE})
    assert found.spdx == "GPL-3.0-only"
    assert found.source == "COPYING"
    assert not is_permissive(found.spdx)


def test_several_root_license_texts_must_all_hold():
    found = _detect({"LICENSE-MIT": MIT_TEXT, "LICENSE-GPL": GPL3_NOTICE})
    assert found.spdx == "GPL-3.0-only AND MIT"
    assert found.source == "LICENSE-GPL,LICENSE-MIT"


def test_declared_metadata_beats_license_text():
    found = _detect({"LICENSE": MIT_TEXT, "package.json": '{"license": "Apache-2.0"}'})
    assert found == LicenseMatch(spdx="Apache-2.0", source="package.json", score=1.0)


def test_unidentifiable_text_gives_no_license():
    assert _detect({"LICENSE": "All rights reserved. Do not copy."}) is None
    assert _detect({}) is None


def test_debian_copyright_uses_the_files_star_paragraph():
    assert _detect({"debian/copyright": DEBIAN_COPYRIGHT}) == LicenseMatch(
        spdx="BSD-3-Clause", source="debian/copyright", score=1.0
    )
    assert _detect({"debian/copyright": "Files: *\nLicense: MIT\n"}) is None  # not DEP-5


@pytest.mark.parametrize(
    ("debian", "spdx"),
    [
        ("Expat", "MIT"),
        ("BSD-3-clause", "BSD-3-Clause"),
        ("GPL-2+", "GPL-2.0-or-later"),
        ("GPL-3", "GPL-3.0-only"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("public-domain", "LicenseRef-public-domain"),
        ("Apache-2.0", "Apache-2.0"),
        ("GPL-1+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0-Perl"),
        ("GPL-2+ with OpenSSL exception", "GPL-2.0-or-later"),
        (
            "GPL-2+ or Artistic-2.0, and BSD-3-clause",
            "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause",
        ),
        ("other", None),
    ],
)
def test_debian_license_names(debian, spdx):
    assert debian_license_to_spdx(debian) == spdx


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("MIT", True),
        ("mit", True),
        ("MIT OR Apache-2.0", True),
        ("MIT OR GPL-3.0-only", True),
        ("MIT AND GPL-3.0-only", False),
        ("MIT AND (Apache-2.0 OR GPL-2.0-only)", True),
        ("(MIT OR GPL-2.0-only) AND LGPL-2.1-only", False),
        ("Apache-2.0 WITH LLVM-exception", True),
        ("GPL-2.0-only WITH Classpath-exception-2.0", False),
        ("MPL-2.0", False),
        ("LicenseRef-public-domain", False),
        ("MIT OR", False),
        ("(MIT", False),
        ("", False),
    ],
)
def test_spdx_expression_logic(expression, expected):
    assert is_permissive(expression) is expected


def test_normalize_spdx_expression():
    assert normalize_spdx_expression("mit OR (bsd-3-clause and Apache-2.0)") == (
        "MIT OR BSD-3-Clause AND Apache-2.0"
    )
    assert normalize_spdx_expression("MIT AND (ISC OR 0BSD)") == "MIT AND (ISC OR 0BSD)"
    assert normalize_spdx_expression("Foo-1.0") is None
    assert normalize_spdx_expression("Foo-1.0", strict=False) == "Foo-1.0"


@pytest.mark.parametrize(
    ("content", "spdx"),
    [
        ("// SPDX-License-Identifier: MIT\nint x;\n", "MIT"),
        (
            "/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */\n",
            "GPL-2.0-only OR BSD-2-Clause",
        ),
        ("#!/bin/sh\n# SPDX-License-Identifier: apache-2.0\n", "Apache-2.0"),
        ("<!-- SPDX-License-Identifier: CC0-1.0 -->\n", "CC0-1.0"),
        ("\n" * 25 + "// SPDX-License-Identifier: MIT\n", None),
        ("x = 1\n", None),
    ],
)
def test_spdx_header_license(content, spdx):
    assert spdx_header_license(content) == spdx


def _rows(*rows):
    base = {"repo": "o/r", "source": "test", "size": 1}
    return file_table([{**base, **row} for row in rows])


def test_spdx_header_overrides_repo_license_on_live_rows_only():
    batch = _rows(
        {
            "path": "a.c",
            "license": "GPL-3.0-only",
            "license_source": "COPYING",
            "content": "// SPDX-License-Identifier: MIT\n",
        },
        {
            "path": "b.c",
            "license": "GPL-3.0-only",
            "license_source": "COPYING",
            "content": "int b;",
        },
        {"path": "c.c", "license": None, "drop_reason": "x:y"},
    )
    tagged = SpdxHeaderTagger()(batch)
    assert tagged["license"].to_pylist() == ["MIT", "GPL-3.0-only", None]
    assert tagged["license_source"].to_pylist() == ["spdx-header", "COPYING", None]
    assert tagged.schema == batch.schema


def test_filter_drop_reasons():
    batch = _rows(
        {"path": "a.py", "license": "MIT", "content": "a"},
        {"path": "b.py", "license": None, "content": "b"},
        {"path": "c.py", "license": "GPL-3.0-only", "content": "c"},
        {"path": "d.py", "license": "MIT OR GPL-3.0-only", "content": "d"},
        {"path": "e.py", "license": "GPL-3.0-only", "drop_reason": "earlier:stage"},
        {"path": "f.py", "license": "", "content": "f"},
    )
    out = PermissiveLicenseFilter()(batch)
    assert out["drop_reason"].to_pylist() == [
        None,
        "license:no_license",
        "license:not_permissive",
        None,
        "earlier:stage",
        "license:no_license",
    ]
    assert out["content"].to_pylist() == ["a", None, None, "d", None, None]


def test_filter_allow_list_is_configurable():
    batch = _rows({"path": "a.py", "license": "MPL-2.0", "content": "a"})
    config = LicenseConfig(allowed=PERMISSIVE_LICENSES | {"MPL-2.0"})
    assert PermissiveLicenseFilter(config)(batch)["drop_reason"].to_pylist() == [None]
    assert PermissiveLicenseFilter()(batch)["drop_reason"].to_pylist() == ["license:not_permissive"]
