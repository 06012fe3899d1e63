"""A job's report: a frozen dataclass written as one JSON file into the job's output folder.

The job writes it last (so its presence marks a finished run) and every
reader (the pipeline's summary, the model card, the next job) reads the same
type back instead of parsing the JSON by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar, Self

from .config import from_dict, to_dict


class Report:
    """Mixin for a frozen dataclass report; ``FILE`` names its file in the output folder.

    The JSON is the dataclass's fields (:func:`~starcoder_jobs.config.to_dict`);
    a report with another published shape overrides ``to_payload``/``from_payload``.
    """

    FILE: ClassVar[str]

    def to_payload(self) -> Any:
        return to_dict(self)

    @classmethod
    def from_payload(cls, payload: Any) -> Self:
        return from_dict(cls, payload)

    def write(self, folder: str | Path) -> Path:
        """Write atomically: a reader never sees half a report."""
        path = Path(folder) / self.FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(json.dumps(self.to_payload(), indent=2) + "\n", encoding="utf-8")
        os.replace(temp, path)
        return path

    @classmethod
    def read(cls, folder: str | Path) -> Self | None:
        """The report in ``folder``; ``None`` when there is none; a broken one names its path."""
        path = Path(folder) / cls.FILE
        if not path.is_file():
            return None
        try:
            return cls.from_payload(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path} is not a {cls.__name__}: {error}") from error


__all__ = ["Report"]
