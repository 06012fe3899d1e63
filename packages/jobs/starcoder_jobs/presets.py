"""Named presets of one kind of config, every family in the same shape.

A family (model shapes, training runs, StarEncoder shapes, token packing,
pipeline runs) maps a name to a zero-argument function that returns a
frozen config; a fixed record is registered as itself. Reading a name gives
the config (a fresh one each time), and an unknown name is a ``ValueError``
that lists the family's names, so every command line says the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

Config = TypeVar("Config")


class UnknownPresetError(KeyError, ValueError):
    """A name no preset of the family has (a ``KeyError`` to ``Mapping``, a ``ValueError``
    to the command lines, which print it as the parser's error)."""

    def __str__(self) -> str:
        return str(self.args[0])


class Presets(Mapping[str, Config], Generic[Config]):
    """``name -> config`` for one family; ``presets[name]`` builds the config."""

    def __init__(self, kind: str, makers: Mapping[str, Callable[[], Config]]) -> None:
        self.kind = kind
        self._makers = dict(makers)

    @classmethod
    def of_records(cls, kind: str, *records: Config) -> Presets[Config]:
        """A family of fixed records, each registered under its ``name``."""
        return cls(kind, {record.name: (lambda record=record: record) for record in records})

    def __getitem__(self, name: str) -> Config:
        if name not in self._makers:
            known = ", ".join(self._makers)
            raise UnknownPresetError(f"unknown {self.kind} preset {name!r}; known presets: {known}")
        return self._makers[name]()

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def __contains__(self, name: object) -> bool:
        return name in self._makers


__all__ = ["Presets", "UnknownPresetError"]
