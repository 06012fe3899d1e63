"""Rule-based detectors: StarCoder's regex + detect-secrets baseline; names in author contexts."""

from .baseline import BaselineConfig, BaselineDetector
from .gibberish import is_gibberish, is_hash, is_uuid, shannon_entropy
from .names import detect_contact_names
from .network import (
    POPULAR_DNS_SERVERS,
    NetworkDetectorConfig,
    detect_emails,
    detect_ip_addresses,
    is_reportable_ip,
)
from .secrets import SecretDetectorConfig, detect_secrets

__all__ = [
    "POPULAR_DNS_SERVERS",
    "BaselineConfig",
    "BaselineDetector",
    "NetworkDetectorConfig",
    "SecretDetectorConfig",
    "detect_contact_names",
    "detect_emails",
    "detect_ip_addresses",
    "detect_secrets",
    "is_gibberish",
    "is_hash",
    "is_reportable_ip",
    "is_uuid",
    "shannon_entropy",
]
