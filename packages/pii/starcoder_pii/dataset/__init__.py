"""A labelled PII set from real code with injected PII and hard negatives."""

from .inject import (
    InjectionConfig,
    LabelledFile,
    build_labelled_files,
    carve_validation,
    fill_template,
    host_window,
    inject_file,
    repo_split,
)
from .io import dataset_stats, read_labelled, write_labelled
from .pseudo import PseudoLabeller
from .values import KEY_KINDS, PiiFaker

__all__ = [
    "KEY_KINDS",
    "InjectionConfig",
    "LabelledFile",
    "PiiFaker",
    "PseudoLabeller",
    "build_labelled_files",
    "carve_validation",
    "dataset_stats",
    "fill_template",
    "host_window",
    "inject_file",
    "read_labelled",
    "repo_split",
    "write_labelled",
]
