"""Rule-based detectors: StarCoder's regex + detect-secrets baseline, and the context rules
(names, handles, positional credentials) that :class:`RulesDetector` adds to it."""

from .baseline import BaselineConfig, BaselineDetector
from .credentials import detect_credentials, is_placeholder_password
from .gibberish import is_gibberish, is_hash, is_uuid, shannon_entropy
from .handles import detect_handles
from .names import detect_contact_names, is_person
from .network import (
    POPULAR_DNS_SERVERS,
    NetworkDetectorConfig,
    detect_emails,
    detect_ip_addresses,
    is_reportable_ip,
)
from .rules import RulesDetector, detect_in_context
from .secrets import SecretDetectorConfig, detect_secrets

__all__ = [
    "POPULAR_DNS_SERVERS",
    "BaselineConfig",
    "BaselineDetector",
    "NetworkDetectorConfig",
    "RulesDetector",
    "SecretDetectorConfig",
    "detect_contact_names",
    "detect_credentials",
    "detect_handles",
    "detect_in_context",
    "detect_emails",
    "detect_ip_addresses",
    "detect_secrets",
    "is_gibberish",
    "is_hash",
    "is_person",
    "is_placeholder_password",
    "is_reportable_ip",
    "is_uuid",
    "shannon_entropy",
]
