"""StarCoder's post-processing of the NER model's predictions (Li et al. 2023, section 4.4).

The paper filters the model's spans with a few rules before redacting:
secrets (keys, passwords) shorter than 4 characters are ignored; names need
at least one space; keys shorter than 9 characters, or that are not gibberish,
are ignored; IP addresses must be valid and neither private nor a popular DNS
server. A model that calls ``self.variance`` or ``AWS_SECRET_ACCESS_KEY`` a key
is stopped here.

Two deviations, both to keep real keys the rules would drop: a multi-line value
(a PEM body) is gibberish when its longest line is, since the whole body repeats
characters enough to fail the repetition test; and values in a well-known key
format (``AKIA...`` ids, ``ghp_`` tokens ...) are kept whether or not their
letters happen to read as syllables.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ..detectors.gibberish import is_gibberish
from ..detectors.network import POPULAR_DNS_SERVERS
from ..spans import IP_ADDRESS, KEY, NAME, PASSWORD, PiiSpan

# Formats whose prefix makes them keys by construction (AWS, GitHub, Slack, Google,
# Stripe, OpenAI, JWT): the gibberish test is for values with no such marker.
KNOWN_KEY_FORMATS = re.compile(
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|AIza[0-9A-Za-z_\-]{35}"
    r"|[sr]k_(?:live|test)_[0-9A-Za-z]{16,}"
    r"|sk-[A-Za-z0-9\-_]{20,}"
    r"|eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"
)


@dataclass(frozen=True, kw_only=True)
class PostprocessConfig:
    min_secret_chars: int = 4  # StarCoder: secrets shorter than 4 characters are ignored
    min_key_chars: int = 9  # StarCoder: keys shorter than 9 characters are ignored
    key_must_be_gibberish: bool = True  # StarCoder: keys that are not gibberish are ignored
    name_needs_space: bool = True  # StarCoder: names with at least one space only
    public_ips_only: bool = True  # StarCoder: valid, non-private, not a popular DNS server


def postprocess(spans: list[PiiSpan], config: PostprocessConfig | None = None) -> list[PiiSpan]:
    """The spans that pass StarCoder's rules, in their order."""
    config = config or PostprocessConfig()
    return [span for span in spans if keep_span(span, config)]


def keep_span(span: PiiSpan, config: PostprocessConfig | None = None) -> bool:
    """Does one predicted span survive post-processing?"""
    config = config or PostprocessConfig()
    value = span.value
    if span.label in (KEY, PASSWORD) and len(value) < config.min_secret_chars:
        return False
    if span.label == KEY:
        return _is_key(value, config)
    if span.label == NAME and config.name_needs_space:
        return " " in value.strip()
    if span.label == IP_ADDRESS and config.public_ips_only:
        return is_public_ip(value)
    return True


def _is_key(value: str, config: PostprocessConfig) -> bool:
    if len(value) < config.min_key_chars:
        return False
    if not config.key_must_be_gibberish or KNOWN_KEY_FORMATS.fullmatch(value):
        return True
    longest = max(value.split(), key=len)
    return is_gibberish(longest, min_length=config.min_key_chars)


def is_public_ip(value: str) -> bool:
    """A valid, global address that is not one of the popular public DNS servers."""
    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return address.is_global and str(address) not in POPULAR_DNS_SERVERS
