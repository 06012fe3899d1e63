"""StarCoder's baseline PII detector: regexes for emails and IPs, detect-secrets for keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spans import PiiSpan, resolve_overlaps
from .network import NetworkDetectorConfig, detect_emails, detect_ip_addresses
from .secrets import SecretDetectorConfig, detect_secrets


@dataclass(frozen=True, kw_only=True)
class BaselineConfig:
    network: NetworkDetectorConfig = field(default_factory=NetworkDetectorConfig)
    secrets: SecretDetectorConfig = field(default_factory=SecretDetectorConfig)


class BaselineDetector:
    """EMAIL, IP_ADDRESS, KEY and PASSWORD spans; it finds no NAME or USERNAME.

    Every detector in this package is a callable ``(text, path) -> spans``
    with non-overlapping spans in text order, so the redactor takes any of them.
    """

    name = "baseline"

    def __init__(self, config: BaselineConfig | None = None):
        self.config = config or BaselineConfig()

    def __call__(self, text: str, path: str = "file.txt") -> list[PiiSpan]:
        spans = detect_emails(text, self.config.network)
        spans += detect_ip_addresses(text, self.config.network)
        spans += detect_secrets(text, path, self.config.secrets)
        return resolve_overlaps(spans)

    def detect_batch(self, texts: list[str], paths: list[str]) -> list[list[PiiSpan]]:
        return [self(text, path) for text, path in zip(texts, paths, strict=True)]
