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
