"""PII detection and redaction (StarCoder, Li et al. 2023, section 4).

Detectors return :class:`PiiSpan` lists: the rule-based baseline
(:class:`BaselineDetector`: email / IP regexes with StarCoder's exclusions and
``detect-secrets`` with a gibberish filter), the baseline plus context rules
for names, handles and positional credentials (:class:`RulesDetector`), the
NER model on StarEncoder (:class:`NerDetector`), StarCoder's combination of
both (:class:`CombinedDetector`) and the learned system
(:class:`LearnedDetector`: the rules' spans plus the model's). Each class's
placeholder, length floor and word characters are one :class:`PiiClass`
record of :data:`CLASSES`. :func:`redact` replaces spans with StarCoder's
placeholders; :class:`PiiRedactor` is the same as a ``pyarrow`` batch stage
for Ray Data. Heavy pieces (torch, transformers) load only when used.
"""

from .combined import CombinedDetector
from .detectors import (
    BaselineConfig,
    BaselineDetector,
    RulesDetector,
    detect_emails,
    detect_ip_addresses,
)
from .detectors import detect_secrets as detect_keys
from .evaluate import evaluate_detector, format_table
from .learned import LearnedDetector
from .ner.detector import NerConfig, NerDetector, read_window_config
from .ner.windows import LABELS, WindowConfig
from .redact import PLACEHOLDERS, SYNTHETIC_IPS, Redaction, RedactionConfig, redact
from .spans import CLASSES, PII_CLASSES, PiiClass, PiiSpan, resolve_overlaps
from .stage import PiiRedactor, RedactorConfig, summarise

__all__ = [
    "CLASSES",
    "LABELS",
    "PII_CLASSES",
    "PLACEHOLDERS",
    "SYNTHETIC_IPS",
    "BaselineConfig",
    "BaselineDetector",
    "CombinedDetector",
    "LearnedDetector",
    "NerConfig",
    "NerDetector",
    "PiiClass",
    "PiiRedactor",
    "PiiSpan",
    "Redaction",
    "RedactionConfig",
    "RedactorConfig",
    "RulesDetector",
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
