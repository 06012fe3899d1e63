"""An output folder that belongs to one run: resumed by the same config, refused by another.

A job claims its folder by writing ``run.json`` (the config it runs). A rerun
with the same config resumes: each finished step left a ``_SUCCESS`` marker in
its folder and is skipped; a step folder without a marker was interrupted and
is redone from scratch. A rerun with a different config is refused with the
fields that differ, so two runs are never silently mixed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

RUN_FILE = "run.json"
MARKER = "_SUCCESS"


class RunConflictError(RuntimeError):
    """The output folder holds another run (or something that is not a run)."""


def _differences(old: Mapping, new: Mapping, prefix: str = "") -> list[str]:
    diffs = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            diffs.extend(_differences(a, b, f"{prefix}{key}."))
        elif a != b:
            diffs.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return diffs


class RunDirectory:
    """The output folder of one run and the completion state of its steps."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def claim(self, config: Mapping, overwrite: bool = False) -> bool:
        """Take the folder for ``config``; return True when resuming an earlier run."""
        run_file = self.root / RUN_FILE
        if overwrite and self.root.exists():
            shutil.rmtree(self.root)
        if run_file.exists():
            previous = json.loads(run_file.read_text())
            diffs = _differences(previous, config)
            if diffs:
                raise RunConflictError(
                    f"{self.root} holds a run with another config ({'; '.join(diffs[:5])}); "
                    "rerun with --overwrite to replace it, or choose another --output"
                )
            return True
        if self.root.exists() and any(self.root.iterdir()):
            raise RunConflictError(
                f"{self.root} is not empty and holds no {RUN_FILE}: refusing to write into it; "
                "choose an empty or new --output"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        return False

    def step(self, name: str) -> Path:
        return self.root / name

    def is_done(self, name: str) -> bool:
        return (self.step(name) / MARKER).exists()

    def start(self, name: str) -> Path:
        """Clear what an interrupted attempt left of a step and return its folder."""
        path = self.step(name)
        if path.exists():
            shutil.rmtree(path)
        return path

    def finish(self, name: str) -> None:
        path = self.step(name)
        path.mkdir(parents=True, exist_ok=True)
        (path / MARKER).write_text("")
