"""Keys and passwords with ``detect-secrets``, filtered as StarCoder filtered them.

bigcode-dataset ``pii/utils/keys_detection.py`` runs detect-secrets' plugins
line by line and drops findings that its filters call false positives:
gibberish (a value that reads as words), likely ids, sequential strings,
UUIDs, templated values and indirect references. Here:

* format plugins (AWS, GitHub, GitLab, Slack, Stripe, JWT, OpenAI, PyPI, npm,
  SendGrid, Twilio, Mailchimp, Discord, Azure, Artifactory ...) report KEY,
  extended to the whole token when the plugin's regex stops short of it
  (detect-secrets' JWT pattern ends before the signature);
* entropy plugins (base64 above 4.5 bits, hex above 3 bits: detect-secrets'
  defaults, kept by StarCoder) report KEY only if the value is gibberish, and a
  hex value (digests, object ids) only if a key-like keyword sits before it on
  the line (``sha256 = "..."`` is a hash, ``api_key = "..."`` is not); long
  numbers and sequences (``abc...xyz0123``) are never keys;
* the keyword plugin reports PASSWORD after ``password``/``passwd``/``pwd``
  style keywords and KEY after ``secret``/``token``/``api_key`` (then only if
  gibberish); credentials in URLs (``scheme://user:password@host``, the user
  possibly empty as in ``redis://:password@host``) are PASSWORD;
* PEM private-key blocks, which span lines and so escape a line scanner, and
  Google API keys, which detect-secrets has no plugin for, come from regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..spans import KEY, PASSWORD, PiiSpan, span_at
from .gibberish import (
    is_gibberish,
    is_mostly_digits,
    is_sequential,
    is_templated,
    is_uuid,
)

SOURCE = "detect-secrets"

_FORMAT_PLUGINS = (
    "artifactory.ArtifactoryDetector",
    "aws.AWSKeyDetector",
    "azure_storage_key.AzureStorageKeyDetector",
    "discord.DiscordBotTokenDetector",
    "github_token.GitHubTokenDetector",
    "gitlab_token.GitLabTokenDetector",
    "jwt.JwtTokenDetector",
    "mailchimp.MailchimpDetector",
    "npm.NpmDetector",
    "openai.OpenAIDetector",
    "pypi_token.PypiTokenDetector",
    "sendgrid.SendGridDetector",
    "slack.SlackDetector",
    "square_oauth.SquareOAuthDetector",
    "stripe.StripeDetector",
    "telegram_token.TelegramBotTokenDetector",
    "twilio.TwilioKeyDetector",
)
_ENTROPY_PLUGINS = (
    "high_entropy_strings.Base64HighEntropyString",
    "high_entropy_strings.HexHighEntropyString",
)
_PASSWORD_KEYWORD = re.compile(r"pass(?:wo?r?d|wd|phrase)?|pwd|\bpw\b|passwd", re.IGNORECASE)
_KEY_KEYWORD = re.compile(r"key|secret|token|auth|cred|signature|salt|private", re.IGNORECASE)
_HEX_VALUE = re.compile(r"[0-9a-fA-F]+")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.+/=]")
_URL_CREDENTIALS = re.compile(
    r"\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@'\"]{0,64}:([^\s:/@'\"]{1,128})@[\w.\-]+", re.IGNORECASE
)
# Only the BEGIN line is a regex; its END line is found with str.find, so a BEGIN
# without an END (documentation, truncated files) costs one scan, never a backtrack.
_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?)-----")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=:,\-\s]+|\\n")
_PEM_EDGE = " \t\r\n"
_GOOGLE_API_KEY = re.compile(r"(?<![\w\-])AIza[0-9A-Za-z_\-]{35}(?![\w\-])")
# A file's lines longer than this are minified or data: scanned by the regexes, not the plugins.
MAX_LINE_CHARS = 4000
# Cheap test for lines worth handing to the plugins (most lines of code are not).
_CANDIDATE_LINE = re.compile(
    r"[A-Za-z0-9+/=_\-]{16,}|pass|pwd|secret|token|key|auth|://", re.IGNORECASE
)


@dataclass(frozen=True, kw_only=True)
class SecretDetectorConfig:
    base64_limit: float = 4.5  # detect-secrets / StarCoder default
    hex_limit: float = 3.0  # detect-secrets / StarCoder default
    min_key_length: int = 8  # shorter "keys" are never reported
    min_password_length: int = 4


@lru_cache(maxsize=4)
def _plugins(base64_limit: float, hex_limit: float) -> tuple[list, list, object, object]:
    import importlib

    def build(path: str, **kwargs):
        module, name = path.rsplit(".", 1)
        cls = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        return cls(**kwargs)

    formats = [build(p) for p in _FORMAT_PLUGINS]
    base64, hex_ = (build(p) for p in _ENTROPY_PLUGINS)
    base64.entropy_limit, hex_.entropy_limit = base64_limit, hex_limit
    keyword = build("keyword.KeywordDetector")
    basic_auth = build("basic_auth.BasicAuthDetector")
    return formats, [base64, hex_], keyword, basic_auth


def detect_secrets(
    text: str, path: str = "file.txt", config: SecretDetectorConfig | None = None
) -> list[PiiSpan]:
    """KEY and PASSWORD spans of ``text``; ``path`` picks detect-secrets' keyword grammar."""
    config = config or SecretDetectorConfig()
    spans = _regex_secrets(text)
    formats, entropy, keyword, _ = _plugins(config.base64_limit, config.hex_limit)
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        if len(body) <= MAX_LINE_CHARS and _CANDIDATE_LINE.search(body):
            spans.extend(_scan_line(body, offset, path, number, formats, entropy, keyword, config))
        offset += len(line)
    return _dedupe(spans)


def _scan_line(line, offset, path, number, formats, entropy, keyword, config) -> list[PiiSpan]:
    found = []
    for plugin in formats:
        for secret in plugin.analyze_line(filename=path, line=line, line_number=number):
            for start, end in _locate(line, secret.secret_value, extend=True):
                value = line[start:end]
                if not _is_placeholder(value):
                    found.append(span_at(line, start, end, KEY, SOURCE))
    for plugin in entropy:
        for secret in plugin.analyze_line(filename=path, line=line, line_number=number):
            for start, end in _locate(line, secret.secret_value, extend=False):
                if _is_entropy_key(line, start, end, config):
                    found.append(span_at(line, start, end, KEY, SOURCE))
    for secret in keyword.analyze_line(filename=path, line=line, line_number=number):
        found.extend(_keyword_spans(line, secret.secret_value, config))
    for match in _URL_CREDENTIALS.finditer(line):
        if not _is_placeholder(match.group(1)):
            found.append(span_at(line, match.start(1), match.end(1), PASSWORD, SOURCE))
    return [_shift(span, offset) for span in found]


def _keyword_spans(line: str, value: str, config: SecretDetectorConfig) -> list[PiiSpan]:
    spans = []
    for start, end in _locate(line, value, extend=False):
        before = line[:start]
        password = _PASSWORD_KEYWORD.search(before) is not None
        if _is_placeholder(value) or is_sequential(value):
            continue
        if password and len(value) >= config.min_password_length:
            spans.append(span_at(line, start, end, PASSWORD, SOURCE))
        elif not password and len(value) >= config.min_key_length and is_gibberish(value):
            spans.append(span_at(line, start, end, KEY, SOURCE))
    return spans


def _is_entropy_key(line: str, start: int, end: int, config: SecretDetectorConfig) -> bool:
    value = line[start:end]
    if len(value) < config.min_key_length or is_uuid(value) or _is_placeholder(value):
        return False
    if is_mostly_digits(value) or is_sequential(value):
        return False
    if _HEX_VALUE.fullmatch(value):  # digests and object ids, unless named as a key
        return _KEY_KEYWORD.search(line[:start]) is not None
    return is_gibberish(value)


def _is_placeholder(value: str) -> bool:
    return "EXAMPLE" in value or is_templated(value) or len(set(value)) <= 2


def _locate(line: str, value: str, *, extend: bool) -> list[tuple[int, int]]:
    """Every ``(start, end)`` of ``value`` in ``line``; with ``extend``, the whole token.

    Widened tokens never overlap: the search resumes after the last one's end.
    """
    if not value:
        return []
    found, at = [], line.find(value)
    while at >= 0:
        start, end = at, at + len(value)
        if extend:
            while start > 0 and _TOKEN_CHARS.match(line[start - 1]) and line[start - 1] != "=":
                start -= 1
            while end < len(line) and _TOKEN_CHARS.match(line[end]):
                end += 1
            end = len(line[:end].rstrip(".=")) if value[-1] not in ".=" else end
        found.append((start, end))
        at = line.find(value, max(end, at + len(value)))
    return found


def _pem_bodies(text: str) -> list[PiiSpan]:
    """The base64 body between each PEM private-key BEGIN line and its END line."""
    spans = []
    for match in _PEM_BEGIN.finditer(text):
        end_marker = f"-----END {match.group(1)}-----"
        stop = text.find(end_marker, match.end())
        if stop < 0:
            continue
        start, end = match.end(), stop
        body = text[start:end]
        if not all(_PEM_BODY.fullmatch(part) for part in re.split(r"(\\n)", body) if part):
            continue  # something other than key material between the markers
        while start < end and (text[start] in _PEM_EDGE or text.startswith("\\n", start)):
            start += 2 if text.startswith("\\n", start) else 1
        while end > start and (text[end - 1] in _PEM_EDGE or text[end - 2 : end] == "\\n"):
            end -= 2 if text[end - 2 : end] == "\\n" else 1
        if start < end:
            spans.append(span_at(text, start, end, KEY, SOURCE))
    return spans


def _regex_secrets(text: str) -> list[PiiSpan]:
    spans = _pem_bodies(text)
    spans += [
        span_at(text, m.start(), m.end(), KEY, SOURCE) for m in _GOOGLE_API_KEY.finditer(text)
    ]
    return spans


def _shift(span: PiiSpan, offset: int) -> PiiSpan:
    return PiiSpan(span.start + offset, span.end + offset, span.label, span.value, span.source)


def _dedupe(spans: list[PiiSpan]) -> list[PiiSpan]:
    """One span per range; of overlapping KEY and PASSWORD claims, PASSWORD wins."""
    by_range: dict[tuple[int, int], PiiSpan] = {}
    for span in spans:
        held = by_range.get((span.start, span.end))
        if held is None or span.label == PASSWORD:
            by_range[(span.start, span.end)] = span
    return sorted(by_range.values())
