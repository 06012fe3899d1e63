"""Keys and passwords in the shapes ``detect-secrets`` does not read, and placeholder passwords.

``detect-secrets``' keyword plugin wants ``password = "..."``; real code also
passes credentials by position, in headers and on command lines:

* ``smtp.login(USER, "pw")``, ``auth=("user", "pw")`` / ``HTTPBasicAuth("user",
  "pw")`` and ``mysql -u root -p'pw'`` (PASSWORD);
* ``Authorization: token <value>`` / ``Bearer <value>`` (KEY), where the
  value is the second word of a quoted string, which the entropy plugins,
  reading whole strings, never see; hex values included, since a value in
  that place is a token whatever its alphabet;
* a quoted gibberish value with a digit on a line that names a key
  (``os.environ.get("API_KEY", "<value>")``), hex included, as in the
  baseline's hex rule.

:func:`is_placeholder_password` names the values that stand for a password
in documentation and samples (``changeme``, ``password``, ``***``,
``your-password``), which the labelling guide of the real-file set calls no
password and which are no leak when kept.
"""

from __future__ import annotations

import re

from ..spans import KEY, PASSWORD, PiiSpan, span_at
from .gibberish import is_gibberish, is_sequential, is_templated, is_uuid

SOURCE = "credential-rules"
_Q = r"""(?P<q>['"])"""
_LOGIN_CALL = re.compile(
    rf"""\.login\(\s*[^,()\n]+,\s*{_Q}(?P<value>[^'"\n]{{4,128}})(?P=q)\s*\)"""
)
_AUTH_PAIR = re.compile(
    rf"""\b(?:auth\s*=\s*\(|HTTPBasicAuth\(|HTTPDigestAuth\(|BasicAuth\()\s*"""
    rf"""['"][^'"\n]*['"]\s*,\s*{_Q}(?P<value>[^'"\n]{{4,128}})(?P=q)\s*\)"""
)
_MYSQL_FLAG = re.compile(
    r"""\bmysql(?:dump|admin|import)?\b[^\n]*?\s-p(?P<q>['"]?)(?P<value>[^\s'"]{4,128})(?P=q)"""
)
_BEARER = re.compile(
    r"""\b(?:[Tt]oken|[Bb]earer)\s+(?P<value>[A-Za-z0-9_\-.=+/]{16,512})(?=['"\s,;)]|$)"""
)
# "token" as a name, not "tokenizer" / "tokens" (a model id next to a tokenizer is no key).
_KEY_NAME = re.compile(
    r"(?:api|access|secret|private|auth)[_\-]?(?:key|token)|token(?![a-z])", re.I
)
_QUOTED = re.compile(r"""(?P<q>['"])(?P<value>[A-Za-z0-9_\-+/=]{16,256})(?P=q)""")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGIT = re.compile(r"\d")  # issued keys carry digits; "__abstractmethods__" does not
# Values that stand for a password in docs and samples (docs/pii.md, labelling guide).
PLACEHOLDER_PASSWORDS = frozenset({
    "changeme", "change_me", "change-me", "password", "passw0rd", "secret", "example",
    "xxxx", "xxxxx", "xxxxxx", "xxxxxxxx", "****", "******", "********", "dummy", "test",
    "testing", "your-password", "your_password", "yourpassword", "your-token-here",
    "<password>", "mypassword", "my-password", "pass", "none", "null", "todo", "fixme",
})  # fmt: skip


def is_placeholder_password(value: str) -> bool:
    """A value that documentation and samples write in a password's place."""
    lowered = value.lower()
    return lowered in PLACEHOLDER_PASSWORDS or lowered.startswith(("your-", "your_", "<your"))


def detect_credentials(text: str) -> list[PiiSpan]:
    """PASSWORD and KEY spans in positional, header and command-line shapes."""
    spans = []
    for pattern in (_LOGIN_CALL, _AUTH_PAIR, _MYSQL_FLAG):
        for match in pattern.finditer(text):
            value = match.group("value")
            if not (is_placeholder_password(value) or is_templated(value)):
                spans.append(span_at(text, *match.span("value"), PASSWORD, SOURCE))
    for match in _BEARER.finditer(text):
        if _is_token(match.group("value"), hex_ok=True):
            spans.append(span_at(text, *match.span("value"), KEY, SOURCE))
    for start, line in _lines_naming_a_key(text):
        for match in _QUOTED.finditer(line):
            before = line[: match.start()]
            value = match.group("value")
            if _KEY_NAME.search(before) and _DIGIT.search(value) and _is_token(value, hex_ok=True):
                at = start + match.start("value")
                spans.append(span_at(text, at, at + len(value), KEY, SOURCE))
    return sorted(set(spans))


def _lines_naming_a_key(text: str):
    """``(start, line)`` of each line holding a key's name (one scan of the text, not per line)."""
    seen = -1
    for match in _KEY_NAME.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        if start <= seen:
            continue
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        seen = start
        yield start, text[start:end]


def _is_token(value: str, *, hex_ok: bool) -> bool:
    if (
        ("-" in value and is_uuid(value))
        or is_templated(value)
        or is_sequential(value)
        or "EXAMPLE" in value
    ):
        return False
    if _HEX.fullmatch(value):
        return hex_ok and len(value) >= 20 and len(set(value)) > 6
    return is_gibberish(value)
