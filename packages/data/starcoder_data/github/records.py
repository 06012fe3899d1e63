"""What the issue and commit readers share: JSON-lines records in, ``FILE_SCHEMA`` batches out.

A record that lacks what its format needs raises :class:`Malformed`, which a
reader turns into a ``"<stage>:malformed"`` row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator

import pyarrow as pa

from ..schema import file_table


class Malformed(ValueError):
    """A record lacks what the format needs."""


def json_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` for every non-blank line, without its newline."""
    with open(path, "rb") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def load_object(line: bytes) -> dict:
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        raise Malformed(str(error)) from error
    if not isinstance(record, dict):
        raise Malformed("not a JSON object")
    return record


def require(record: dict, key: str, kind: type):
    value = record.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Malformed(f"{key!r} missing or not {kind.__name__}")
    return value


_REPO_URL = re.compile(r"github\.com/(?:repos/)?([\w.-]+)/([\w.-]+)")


def repo_from(record: dict, keys: tuple[str, ...]) -> str:
    """``owner/name`` from the first GitHub URL among ``keys``."""
    for key in keys:
        url = record.get(key)
        match = _REPO_URL.search(url) if isinstance(url, str) else None
        if match:
            return f"{match.group(1)}/{match.group(2)}"
    raise Malformed("no repository URL")


def with_content(row: dict, text: str | None, reason: str | None) -> dict:
    if reason is not None:
        return {**row, "drop_reason": reason}
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {**row, "content": text, "content_hash": content_hash}


def batches(rows: Iterable[dict], batch_rows: int) -> Iterator[pa.Table]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_rows:
            yield file_table(batch)
            batch = []
    if batch:
        yield file_table(batch)
