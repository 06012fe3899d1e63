"""Whether a stage must run again: a fingerprint of everything its result depends on.

A stage's fingerprint hashes its job's config, the code that runs it (its job
script, the shared job code and the packages it names, by content), the files it reads from
outside the run (the corpus, an NER model, the benchmark cache: by path,
size and modification time, which is cheap for the ~100k files of the
embedded corpus) and the fingerprints of the stages it reads from. A stage
whose fingerprint matches its last finished run, and whose output is still
there, is skipped; a changed input reruns it and, through the chain, every
stage after it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from starcoder_jobs.config import to_dict, to_json

from .layout import RunLayout
from .stages import Stage

_CODE_SUFFIXES = (".py", ".json", ".txt", ".tsv", ".toml")
_SKIPPED_DIRS = {"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _walk_files(path: Path):
    if path.is_file():
        yield path
        return
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            yield Path(folder) / name


def tree_signature(paths: list[str | Path], repo: Path | None = None) -> str:
    """Path, size and mtime of every file under ``paths`` (missing paths hash as missing).

    Files inside the project (``repo``: the benchmark cache) hash by content under their
    project-relative name, so that a copy of the project (a Ray job's working directory)
    gives the same signature.
    """
    digest = hashlib.blake2b(digest_size=16)
    repo = repo.resolve() if repo else None
    for root in sorted(str(p) for p in paths):
        inside = repo is not None and Path(root).resolve().is_relative_to(repo)
        name = Path(root).resolve().relative_to(repo) if inside else root
        digest.update(f"\0root:{name}".encode())
        if not os.path.exists(root):
            digest.update(b"\0missing")
            continue
        for file in _walk_files(Path(root)):
            try:
                if inside:
                    entry = f"{file.relative_to(root)}:{hashlib.md5(file.read_bytes()).hexdigest()}"
                else:
                    stat = file.stat()
                    entry = f"{file}:{stat.st_size}:{stat.st_mtime_ns}"
            except OSError:  # vanished or unreadable: part of the state as well
                entry = f"{file}:gone"
            digest.update(f"\0{entry}".encode())
    return digest.hexdigest()


def code_signature(repo: Path, stage: Stage) -> str:
    """The content of the stage's job script, the shared job code and its packages."""
    digest = hashlib.blake2b(digest_size=16)
    jobs = repo / "ray_jobs"
    files = [jobs / f"{stage.job}.py", *sorted(jobs.glob("_*.py"))]
    for package in ("jobs", *stage.packages):  # packages/jobs: every job's config and Ray start
        files += [f for f in _walk_files(repo / "packages" / package) if f.suffix in _CODE_SUFFIXES]
    for file in files:
        digest.update(f"\0{file.relative_to(repo)}\0".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def stage_fingerprint(
    stage: Stage,
    job_config,
    layout: RunLayout,
    code: str,
    external: str,
    upstream: dict[str, str],
) -> str:
    """One hash of all a stage depends on; paths inside the run are relative to its root."""
    root = str(layout.root)
    payload = {
        "stage": stage.name,
        "config": to_json(job_config).replace(root, "<run>"),
        "code": code,
        "external": external,
        "upstream": {name: upstream[name] for name in stage.upstream},
    }
    return hashlib.blake2b(json.dumps(payload, sort_keys=True).encode(), digest_size=16).hexdigest()


@dataclass
class StageRecord:
    """What the pipeline last did with a stage, in ``<run>/pipeline/stages/<stage>.json``."""

    stage: str
    fingerprint: str
    status: str  # "running" | "done" | "failed"
    started: float
    seconds: float | None = None
    config: dict | None = None  # the job's config it ran with


def record_path(layout: RunLayout, stage: str) -> Path:
    return layout.pipeline / "stages" / f"{stage}.json"


def read_record(layout: RunLayout, stage: str) -> StageRecord | None:
    path = record_path(layout, stage)
    try:
        return StageRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):  # none yet, or unreadable: treat as never run
        return None


def write_record(layout: RunLayout, record: StageRecord) -> None:
    path = record_path(layout, record.stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(path)


def start_record(layout: RunLayout, stage: str, fingerprint: str, job_config) -> StageRecord:
    record = StageRecord(stage, fingerprint, "running", time.time(), config=to_dict(job_config))
    write_record(layout, record)
    return record


@dataclass(frozen=True)
class Decision:
    """What to do with a stage: ``skip``, ``resume`` (keep its checkpoints) or ``run`` afresh."""

    action: str
    reason: str

    @property
    def runs(self) -> bool:
        return self.action != "skip"


def decide(
    stage: Stage, fingerprint: str, record: StageRecord | None, output: Path, forced: bool
) -> Decision:
    finished = (output / stage.done_marker).is_file()
    if forced:
        return Decision("run", "forced")
    if record is None:
        if finished:  # run by hand with unknown inputs: cannot tell whether it is current
            return Decision("run", "no record of its inputs")
        return Decision("run", "never run")
    if record.fingerprint != fingerprint:
        return Decision("run", "inputs changed")
    if record.status == "done" and finished:
        return Decision("skip", "inputs unchanged")
    if record.status == "done":
        return Decision("run", "output missing")
    if stage.resumable:
        return Decision("resume", f"interrupted ({record.status})")
    return Decision("run", f"interrupted ({record.status})")
