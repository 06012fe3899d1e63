"""StarCoder's PII NER: BIO tags over six classes, in overlapping 512-token windows."""

from .data import encode_file, stack, training_windows
from .detector import NerConfig, NerDetector, read_window_config
from .windows import LABELS, WindowConfig, decode_spans, plan_windows, token_labels, trim_span

__all__ = [
    "LABELS",
    "NerConfig",
    "NerDetector",
    "WindowConfig",
    "decode_spans",
    "encode_file",
    "plan_windows",
    "read_window_config",
    "stack",
    "token_labels",
    "training_windows",
    "trim_span",
]
