"""Replace detected PII with StarCoder's placeholders, consistently and syntax-safely.

StarCoder (Li et al. 2023, section 4.4; bigcode-dataset ``pii/utils/replacements``)
replaces names, emails, keys and passwords with ``<NAME>``, ``<EMAIL>``,
``<KEY>`` and ``<PASSWORD>`` and an IP address with one of a few synthetic
private addresses of the same version, so the code around it still parses as
an address. Here, in addition:

* a value gets the same replacement everywhere in a file, including
  occurrences the detector missed (a password found in a settings dict is also
  replaced where a test repeats it);
* only the value is replaced: spans are trimmed of quotes and brackets first,
  so a string literal keeps its quotes and a JSON file stays JSON;
* the placeholders and synthetic addresses are never detected again, so
  redacting a redacted file changes nothing.

Usernames, which StarCoder's NER also labels, become ``<USERNAME>``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field

from .ner.windows import trim_span
from .spans import CLASSES, IP_ADDRESS, PII_CLASSES, PiiSpan, resolve_overlaps, span_at

# Derived from the class registry (``spans.CLASSES``); IP_ADDRESS gets a synthetic address.
PLACEHOLDERS: dict[str, str] = {c.name: c.placeholder for c in CLASSES if c.placeholder}
# bigcode-dataset's synthetic replacements: private (RFC 1918 / RFC 4193) addresses.
SYNTHETIC_IPS: dict[int, tuple[str, ...]] = {
    4: ("172.16.31.10", "172.16.58.3", "172.16.17.32", "192.168.127.12", "192.168.3.11"),
    6: (
        "fd00:c2b6:b24b:be67:2827:688d:e6a1:6a3b",
        "fd00:a516:7c1b:17cd:6d81:2137:bd2a:2c5b",
        "fc00:e968:6179::de52:7100",
        "fc00:db20:35b:7399::5",
        "fdf8:f53e:61e4::18",
    ),
}
_SYNTHETIC = frozenset(ip for ips in SYNTHETIC_IPS.values() for ip in ips)
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


@dataclass(frozen=True, kw_only=True)
class RedactionConfig:
    classes: tuple[str, ...] = PII_CLASSES  # which classes to replace
    min_repeat_length: int = 4  # other occurrences of values at least this long are replaced
    seed: int = 0  # picks each IP's synthetic replacement


@dataclass(frozen=True)
class Redaction:
    """A redacted text, the spans replaced (original offsets) and their count per class."""

    text: str
    spans: tuple[PiiSpan, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.spans)


def replacement(span: PiiSpan, seed: int = 0) -> str:
    """The placeholder of ``span``'s class; for an IP, a synthetic one chosen by value."""
    if span.label != IP_ADDRESS:
        return PLACEHOLDERS[span.label]
    version = 6 if ":" in span.value else 4
    choices = SYNTHETIC_IPS[version]
    digest = hashlib.sha256(f"{seed}:{span.value}".encode()).digest()
    return choices[digest[0] % len(choices)]


def is_redacted_value(value: str) -> bool:
    """A placeholder or synthetic address, or text made of them: never redacted again."""
    stripped = _PLACEHOLDER.sub("", value).strip(" \t\r\n\"'`.,:;@/()[]{}<>")
    return value in _SYNTHETIC or not stripped


def prepare_spans(text: str, spans: list[PiiSpan], config: RedactionConfig) -> list[PiiSpan]:
    """Trim, drop already-redacted values, add repeats of each value, resolve overlaps."""
    kept = []
    placed = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
    for span in spans:
        if span.label not in config.classes:
            continue
        if any(span.start < end and start < span.end for start, end in placed):
            continue  # touches a placeholder of an earlier run
        start, end = trim_span(text, span.start, span.end)
        if start >= end:
            continue
        value = text[start:end]
        if is_redacted_value(value) or _PLACEHOLDER.search(value):
            continue
        kept.append(PiiSpan(start, end, span.label, value, span.source, span.score))
    kept += _repeats(text, kept, config)
    return resolve_overlaps(kept)


def _repeats(text: str, spans: list[PiiSpan], config: RedactionConfig) -> list[PiiSpan]:
    """Other whole-token occurrences of each detected value, with the same class."""
    extra, seen = [], set()
    for span in spans:
        if len(span.value) < config.min_repeat_length or span.value in seen:
            continue
        seen.add(span.value)
        pattern = re.compile(rf"(?<![\w@.\-]){re.escape(span.value)}(?![\w@\-]|\.\w)")
        for match in pattern.finditer(text):
            if match.start() != span.start:
                extra.append(span_at(text, match.start(), match.end(), span.label, "repeat"))
    return extra


def redact(text: str, spans: list[PiiSpan], config: RedactionConfig | None = None) -> Redaction:
    """``text`` with each PII span replaced; see the module docstring for the rules."""
    config = config or RedactionConfig()
    final = prepare_spans(text, spans, config)
    parts, cursor = [], 0
    for span in final:
        parts.append(text[cursor : span.start])
        parts.append(replacement(span, config.seed))
        cursor = span.end
    parts.append(text[cursor:])
    counts = Counter(span.label for span in final)
    return Redaction("".join(parts), tuple(final), {c: counts.get(c, 0) for c in PII_CLASSES})


def is_synthetic_ip(value: str) -> bool:
    try:
        return str(ipaddress.ip_address(value)) in {
            str(ipaddress.ip_address(v)) for v in _SYNTHETIC
        }
    except ValueError:
        return False
