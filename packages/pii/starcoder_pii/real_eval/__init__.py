"""A PII evaluation set of real files, kept apart from training, and its evaluation.

Windows of permissively licensed files installed on a Debian machine (package
copyright files and changelogs, Debian's Python packages), labelled by hand
with StarCoder's six classes, plus windows of the same code with injected
secrets and real hard negatives (hashes, RFC example tokens, version strings,
documentation addresses). ``docs/pii.md`` has the labelling guide.
:func:`split_windows` parts it by package into the validation part that rules
and thresholds were chosen on and the test part whose figures are quoted.
:func:`evaluate_windows` scores any detector on it, leaks included.
"""

from .dataset import (
    LEAK_CLASSES,
    PERMISSIVE_LICENSES,
    RealWindow,
    disjoint_windows,
    excluded_repos,
    load_real_windows,
    read_records,
)
from .evaluate import build_systems, evaluate_windows
from .split import SPLIT_SALT, TEST, VALIDATION, split_windows, window_part

__all__ = [
    "LEAK_CLASSES",
    "PERMISSIVE_LICENSES",
    "SPLIT_SALT",
    "TEST",
    "VALIDATION",
    "RealWindow",
    "build_systems",
    "disjoint_windows",
    "evaluate_windows",
    "excluded_repos",
    "load_real_windows",
    "read_records",
    "split_windows",
    "window_part",
]
