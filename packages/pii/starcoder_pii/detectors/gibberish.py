"""Is a string random (a key) or made of words (an identifier, a path, a sentence)?

StarCoder filtered detect-secrets' findings with ``gibberish-detector``, a
character-bigram model of English: a high-entropy string that reads like words
(``getUserAccountSettings``, ``test_password_reset_flow``) is an identifier,
not a key. This module makes the same call without a trained model, from the
share of the string that splits into pronounceable word pieces, plus the other
filters bigcode-dataset applied (hashes, UUIDs, sequences, templates).
"""

from __future__ import annotations

import math
import re
from collections import Counter

_PIECES = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+|[^A-Za-z\d]+")
_VOWELS = set("aeiouyAEIOUY")
_CONSONANT_RUN = re.compile(r"[^aeiouy\d\W_]{4,}", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
# The shapes of references, not any ``$`` or ``%``: real passwords hold those characters.
_TEMPLATE = re.compile(
    r"\$\{|\$\(|^\$\w+$|\{\{|\}\}|^\{\w*\}$|^<[^<>]*>$|%\(\w+\)[sd]|%[sd]|^%\w+%$"
    r"|\*\*\*|^x{4,}$|^(your|my|some|the)[_\-]",
    re.IGNORECASE,
)
# Lengths of the common digests in hex: MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512.
HASH_HEX_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "0123456789abcdef",
)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s character distribution."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def word_fraction(value: str) -> float:
    """Share of the characters in pieces that read as words (camelCase / snake_case split)."""
    letters = sum(c.isalpha() for c in value)
    if not letters:
        return 0.0
    wordy = 0
    for piece in _PIECES.findall(value):
        if piece.isalpha() and _is_wordlike(piece):
            wordy += len(piece)
    return wordy / letters


def _is_wordlike(piece: str) -> bool:
    if len(piece) < 3:
        return False
    vowels = sum(c in _VOWELS for c in piece) / len(piece)
    return 0.2 <= vowels <= 0.7 and not _CONSONANT_RUN.search(piece)


def is_gibberish(value: str, *, min_length: int = 8) -> bool:
    """Does ``value`` look randomly generated (a key) rather than written (an identifier)?"""
    if len(value) < min_length or is_templated(value) or is_sequential(value):
        return False
    if len(set(value)) <= max(3, len(value) // 8):
        return False  # "aaaaaaaa", "--------", "0000000000000000"
    if word_fraction(value) >= 0.75:
        return False
    return shannon_entropy(value) >= min(3.0, math.log2(len(value)) - 0.5)


def is_hash(value: str) -> bool:
    """A digest in hex (MD5 / SHA-*): an identifier of content, not a credential."""
    return len(value) in HASH_HEX_LENGTHS and _HEX.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def is_sequential(value: str) -> bool:
    """``abcdefgh``, ``12345678``, ``abc...xyz0123``, ``qwertyui``: test fillers, never secrets."""
    lowered = value.lower()
    if any(lowered in seq or lowered in seq * 2 for seq in _SEQUENCES):
        return True
    steps = sum(ord(b) - ord(a) in (0, 1) for a, b in zip(lowered, lowered[1:], strict=False))
    return len(value) > 1 and steps / (len(value) - 1) >= 0.8


def is_mostly_digits(value: str) -> bool:
    """Long numbers (test constants, ids) carry entropy but are not keys."""
    return sum(c.isdigit() for c in value) >= 0.9 * len(value)


def is_templated(value: str) -> bool:
    """``${DB_PASSWORD}``, ``{{ token }}``, ``<your-key>``, ``%s``, ``****``: references."""
    return _TEMPLATE.search(value) is not None
