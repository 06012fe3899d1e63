"""PII detection and redaction (StarCoder, Li et al. 2023, section 4).

Detectors return :class:`PiiSpan` lists: the rule-based baseline
(:class:`BaselineDetector`: email / IP regexes with StarCoder's exclusions and
``detect-secrets`` with a gibberish filter), the NER model on StarEncoder
(:class:`NerDetector`) and StarCoder's combination of both
(:class:`CombinedDetector`). :func:`redact` replaces spans with StarCoder's
placeholders; :class:`PiiRedactor` is the same as a ``pyarrow`` batch stage
for Ray Data. Heavy pieces (torch, transformers) load only when used.
"""

from .combined import CombinedDetector
from .detectors import BaselineConfig, BaselineDetector, detect_emails, detect_ip_addresses
from .detectors import detect_secrets as detect_keys
from .evaluate import evaluate_detector, format_table
from .ner.detector import NerConfig, NerDetector, read_window_config
from .ner.windows import LABELS, WindowConfig
from .redact import PLACEHOLDERS, SYNTHETIC_IPS, Redaction, RedactionConfig, redact
from .spans import PII_CLASSES, PiiSpan, resolve_overlaps
from .stage import PiiRedactor, RedactorConfig, summarise

__all__ = [
    "LABELS",
    "PII_CLASSES",
    "PLACEHOLDERS",
    "SYNTHETIC_IPS",
    "BaselineConfig",
    "BaselineDetector",
    "CombinedDetector",
    "NerConfig",
    "NerDetector",
    "PiiRedactor",
    "PiiSpan",
    "Redaction",
    "RedactionConfig",
    "RedactorConfig",
    "WindowConfig",
    "detect_emails",
    "detect_ip_addresses",
    "detect_keys",
    "evaluate_detector",
    "format_table",
    "read_window_config",
    "redact",
    "resolve_overlaps",
    "summarise",
]
