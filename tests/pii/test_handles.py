"""Usernames by context: profile URLs, aliases, mentions; never orgs, decorators or doc tags."""

from starcoder_pii.detectors.handles import detect_handles


def _handles(text: str) -> list[str]:
    return [span.value for span in detect_handles(text)]


def test_handles_in_urls_aliases_and_mentions():
    text = (
        "Source: http://gondor.apana.org.au/~herbert/dash/\n"
        "Home-page: https://github.com/jpadilla/pyjwt\n"
        "Docs: https://kislyuk.github.io/argcomplete\n"
        "   :target: https://travis-ci.org/uiri/toml\n"
        "Copyright: 2018 Wookey <wookey@debian.org>\n"
        "# TODO(@octocat): drop once fixed; cc @hubot-fan\n"
    )
    assert _handles(text) == [
        "herbert", "jpadilla", "kislyuk", "uiri", "Wookey", "octocat", "hubot-fan",
    ]  # fmt: skip


def test_organisations_decorators_and_addresses_are_not_handles():
    text = (
        "Source: https://github.com/pypa/pip\n"
        "Source: https://github.com/httplib2/httplib2\n"
        "Source: https://github.com/pallets-eco/blinker\n"
        "# Adapted from https://github.com/NVIDIA/Megatron-LM\n"
        "#include <x.h> // @manual  (a build tag, no person)\n"
        "@property\n"
        "def name(self):\n"
        "    ''' @param name the name '''\n"
        "mail: jane@example.org\n"
        " -- Debian Janitor <janitor@jelmer.uk>\n"
        "ssh root@host\n"
    )
    assert _handles(text) == []
