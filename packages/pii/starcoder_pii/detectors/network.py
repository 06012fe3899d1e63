"""Email and IP-address detection by regular expression, with StarCoder's exclusions.

Follows bigcode-dataset ``pii/utils/emails_ip_addresses_detection.py``: an
email regex bounded by the characters that end an address in code, IPv4 and
IPv6 regexes whose matches must also parse with :mod:`ipaddress`, and three
exclusions that keep the false positives of code out:

* private, loopback, link-local, multicast, reserved and unspecified
  addresses (``192.168.0.1``, ``127.0.0.1``, ``::1``), which identify no one;
* popular public DNS resolvers (``8.8.8.8``, ``1.1.1.1`` ...), which appear in
  configuration files everywhere;
* version-number lookalikes: a dotted quad of at most 8 characters such as
  ``1.2.3.4`` or ``2.0.1.0`` is a version unless "dns" or "server" is nearby.

Email addresses whose "domain" ends in a file extension (``icon@2x.png``) and
those at the documentation domains of RFC 2606 / RFC 6761
(``example.com``, ``*.test``, ``localhost``) are placeholders by definition and
are not reported either.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ..spans import EMAIL, IP_ADDRESS, PiiSpan, span_at

SOURCE = "regex"

_EMAIL = re.compile(
    r"(?<![\w.%+\-@])"  # not in the middle of a longer token
    r"([A-Za-z0-9][\w.%+\-]{0,63})@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})"
    r"(?![\w\-@]|\.[A-Za-z0-9])"
)
_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_IPV4_OCTET}\.){{3}}{_IPV4_OCTET}(?![\w]|\.\d)")
# Candidate IPv6: hex groups and colons (with "::" or an IPv4 tail); ipaddress decides.
_IPV6 = re.compile(
    r"(?<![\w:.])"
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?![\w:])"
)

# bigcode-dataset's list of popular public DNS servers (Google, Cloudflare,
# Quad9, OpenDNS, Comodo, AdGuard, Control D, ...).
POPULAR_DNS_SERVERS = frozenset(
    {
        "8.8.8.8",
        "8.8.4.4",
        "1.1.1.1",
        "1.0.0.1",
        "76.76.19.19",
        "76.223.122.150",
        "9.9.9.9",
        "149.112.112.112",
        "208.67.222.222",
        "208.67.220.220",
        "8.26.56.26",
        "8.20.247.20",
        "94.140.14.14",
        "94.140.15.15",
        "2001:4860:4860::8888",
        "2001:4860:4860::8844",
        "2606:4700:4700::1111",
        "2606:4700:4700::1001",
    }
)
PLACEHOLDER_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
PLACEHOLDER_EMAIL_TLDS = (".example", ".test", ".invalid", ".localhost", ".local")
# "icon@2x.png", "pkg@1.2.tgz": asset and package names, not addresses.
FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp ico bmp js ts css py rb go rs c h cpp hpp java json yaml yml "
    "xml html md txt tgz gz zip whl so".split()
)


@dataclass(frozen=True, kw_only=True)
class NetworkDetectorConfig:
    version_max_length: int = 8  # StarCoder: dotted quads of <= 8 characters are versions
    version_context_chars: int = 50  # StarCoder: "dns"/"server" looked for this far around
    exclude_placeholder_emails: bool = True


def detect_emails(text: str, config: NetworkDetectorConfig | None = None) -> list[PiiSpan]:
    """Email addresses in ``text``, without placeholder domains."""
    config = config or NetworkDetectorConfig()
    spans = []
    for match in _EMAIL.finditer(text):
        domain = match.group(2).lower()
        if config.exclude_placeholder_emails and is_placeholder_domain(domain):
            continue
        if domain.rsplit(".", 1)[-1] in FILE_EXTENSIONS:
            continue
        spans.append(span_at(text, match.start(), match.end(), EMAIL, SOURCE))
    return spans


def is_placeholder_domain(domain: str) -> bool:
    domain = domain.lower()
    return (
        domain == "localhost"
        or any(domain == d or domain.endswith("." + d) for d in PLACEHOLDER_EMAIL_DOMAINS)
        or domain.endswith(PLACEHOLDER_EMAIL_TLDS)
    )


def detect_ip_addresses(text: str, config: NetworkDetectorConfig | None = None) -> list[PiiSpan]:
    """Public IPv4 and IPv6 addresses in ``text`` (StarCoder's exclusions applied)."""
    config = config or NetworkDetectorConfig()
    spans = []
    for pattern in (_IPV4, _IPV6):
        for match in pattern.finditer(text):
            value = match.group(0)
            if is_reportable_ip(value) and not _looks_like_version(text, match, config):
                spans.append(span_at(text, match.start(), match.end(), IP_ADDRESS, SOURCE))
    return sorted(spans)


def is_reportable_ip(value: str) -> bool:
    """A parsable, globally routed address that is not a popular DNS server."""
    if ":" in value and (
        sum(1 for group in value.split(":") if group) < 3 or not any(c.isdigit() for c in value)
    ):
        return False  # "c10::", "x[1::2]", "dead:beef::": C++ scopes, slices and hex words
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if value in POPULAR_DNS_SERVERS or str(address) in POPULAR_DNS_SERVERS:
        return False
    return address.is_global and not address.is_multicast


def _looks_like_version(text: str, match: re.Match, config: NetworkDetectorConfig) -> bool:
    value = match.group(0)
    if ":" in value or len(value) > config.version_max_length:
        return False
    lo = max(0, match.start() - config.version_context_chars)
    context = text[lo : match.end() + config.version_context_chars].lower()
    return "dns" not in context and "server" not in context
