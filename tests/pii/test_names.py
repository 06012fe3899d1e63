"""Names in author contexts: found where code names a person, never in identifiers or orgs."""

from starcoder_pii.detectors import detect_contact_names


def _names(text: str) -> list[str]:
    return [span.value for span in detect_contact_names(text)]


def test_names_in_author_contexts():
    text = (
        '__author__ = "Ana María Gómez"\n'
        "# Copyright 2010, Ansgar Burchardt <ansgar@debian.org>\n"
        " -- Jan van der Berg <jan@example.net>  Mon, 01 Jan 2024 10:00:00 +0000\n"
        "Maintainer: Li Wei <li.wei@example.org>\n"
        "Author: Jean-Luc Picard\n"
        "Thanks to Grace Hopper <grace@navy.example>\n"
    )
    assert _names(text) == [
        "Ana María Gómez", "Ansgar Burchardt", "Jan van der Berg", "Li Wei", "Jean-Luc Picard",
        "Grace Hopper",
    ]  # fmt: skip


def test_identifiers_organisations_and_prose_are_not_names():
    text = (
        "class UserAdmin(Admin):\n"
        "    User = get_user_model()\n"
        "Copyright (c) 2001 Python Software Foundation <psf@python.org>\n"
        "XCB Mailing List <xcb@lists.freedesktop.org>\n"
        "Debian Janitor <janitor@jelmer.uk>\n"
        "send a mail to the list <dev@example.org>\n"
        "Author: unknown\n"
    )
    assert _names(text) == []


def test_names_in_copyright_lines_changelogs_and_credits():
    text = (
        "# Copyright (C) 2003 David Zeuthen\n"
        " (c) 2003-2009 Tim Kientzle\n"
        "Copyright: Erik Baalbergen, Eric Gisin, J.T. Conklin\n"
        "\t2005 Aapo Tahkola\n"
        "  [ Andreas Tille ]\n"
        " -- tony mancill <tmancill@debian.org>  Sat, 04 Jun 2022 08:40:40 -0700\n"
        "  * Fix the build. Thanks to Simon McVittie for the patch.\n"
        '__contributors__ = [\n    "Thomas Broyer (t.broyer@ltgt.net)",\n    "Sam Ruby",\n]\n'
        'THIS SOFTWARE IS PROVIDED BY DAN HAIM "AS IS" AND ANY EXPRESS OR IMPLIED\n'
        "3. Neither the name of Dan Haim nor the names of his contributors\n"
    )
    assert _names(text) == [
        "David Zeuthen", "Tim Kientzle", "Erik Baalbergen", "Eric Gisin", "J.T. Conklin",
        "Aapo Tahkola", "Andreas Tille", "tony mancill", "Simon McVittie", "Thomas Broyer",
        "Sam Ruby", "DAN HAIM", "Dan Haim",
    ]  # fmt: skip


def test_companies_in_copyright_lines_are_not_names():
    text = (
        " Copyright (C) 1995, 2001-2008 Red Hat, Inc.\n"
        "Copyright: 2011 Collabora Ltd.\n"
        "# Copyright (C) AB Strakt\n"
        "\t2010-2018 Advanced Micro Devices, Inc.\n"
        " Copyright (c) 2015, ARM Limited. All Rights Reserved.\n"
    )
    assert _names(text) == []
