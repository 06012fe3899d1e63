"""Which StarCoder language a file is in, decided from its path alone.

StarCoder (Li et al. 2023) trained on 86 programming languages of The Stack
v1.2, plus the data formats JSON and YAML with a capped volume. The Stack
assigns a language by file extension (or exact file name), never by content,
so this stage does the same. The table lives in ``languages.json``; extensions
claimed by several languages are given to one of them, each by a rule written
down under ``"clashes"`` in that file.

Extensions are matched case-insensitively (``.PY`` is Python); exact file
names (``Dockerfile``, ``CMakeLists.txt``) are matched as written. The longest
matching suffix wins, so ``x.cmake.in`` is CMake even though ``.in`` is not.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import LANGUAGE, PATH
from .stage import Filter

UNKNOWN = "unknown"
JUPYTER = "jupyter"  # notebooks are converted to scripts by a later stage


def _load_table() -> dict:
    return json.loads(files(__package__).joinpath("languages.json").read_text("utf-8"))


def _index(table: dict) -> tuple[MappingProxyType, MappingProxyType]:
    """Split the table into (lower-cased extension -> language, file name -> language)."""
    by_extension: dict[str, str] = {}
    by_filename: dict[str, str] = {}
    for group in ("languages", "data_formats", "notebooks"):
        for language, entries in table[group].items():
            for entry in entries:
                if entry.startswith("."):
                    by_extension[entry.lower()] = language
                else:
                    by_filename[entry] = language
    return MappingProxyType(by_extension), MappingProxyType(by_filename)


_TABLE = _load_table()
STARCODER_LANGUAGES: tuple[str, ...] = tuple(_TABLE["languages"])
DATA_FORMATS: tuple[str, ...] = tuple(_TABLE["data_formats"])
_BY_EXTENSION, _BY_FILENAME = _index(_TABLE)


@lru_cache(maxsize=65536)
def _language_of_basename(name: str) -> str:
    if name in _BY_FILENAME:
        return _BY_FILENAME[name]
    lowered = name.lower()
    start = lowered.find(".")
    while start != -1:
        language = _BY_EXTENSION.get(lowered[start:])
        if language is not None:
            return language
        start = lowered.find(".", start + 1)
    return UNKNOWN


def language_of(path: str) -> str:
    """The StarCoder language of ``path``, ``"jupyter"`` for notebooks, else ``"unknown"``.

    >>> language_of("src/Main.java"), language_of("docker/Dockerfile"), language_of("a.xyz")
    ('java', 'dockerfile', 'unknown')
    """
    return _language_of_basename(path.rsplit("/", 1)[-1])


class LanguageTagger:
    """Stage that fills ``language`` from ``path`` for every row, dropped rows included.

    Dropped rows are tagged too because the final report counts drops per
    language.
    """

    def __call__(self, batch: pa.Table) -> pa.Table:
        languages = pa.array([language_of(p) for p in batch[PATH].to_pylist()], pa.string())
        index = batch.schema.get_field_index(LANGUAGE)
        return batch.set_column(index, batch.schema.field(index), languages)


class UnknownLanguageFilter(Filter):
    """Drop files in none of the selected languages (READMEs, LICENSE texts, images).

    StarCoder trained only on its selected languages; a file whose name maps
    to none of them has no place in the training data.
    """

    stage = "language"
    name = "unknown"

    def keep(self, batch: pa.Table) -> np.ndarray:
        return pc.not_equal(batch[LANGUAGE], UNKNOWN).to_numpy(zero_copy_only=False)
